/** Length in Unicode code points, as the contract counts. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** How message text is stored: NFC, as sent. */
export function normalizeText(s: string): string {
  return s.normalize('NFC');
}

/** C0 controls other than tab, line feed and carriage return, and DEL. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * How search compares text: NFC and lower-case, with control characters read
 * as U+FFFD. SQLite's LIKE stops at a NUL, so text after one would never be
 * found; a control character is never something a user searches for.
 */
export function searchForm(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(CONTROL, '\uFFFD');
}
