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

/** How search compares text: NFC and lower-case. */
export function searchForm(s: string): string {
  return s.normalize('NFC').toLowerCase();
}
