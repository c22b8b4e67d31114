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

/**
 * Characters a display name may not carry: controls (C0, DEL, C1), format
 * characters (bidi controls U+202A–202E, U+2066–2069, U+200E/200F, U+061C;
 * zero-width U+200B–200D, U+2060–2064, U+FEFF, U+180E, soft hyphen, tags …),
 * line and paragraph separators, lone surrogates, the other default-ignorable
 * code points (Hangul fillers U+115F/1160/3164/FFA0, variation selectors …)
 * and U+2800 (a blank braille cell).
 */
export const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}\u2800]/u;
export const JOINER = /^[\u200c\u200d]$/u;
export const JOINS_AFTER = /^[\p{L}\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f]$/u;
export const JOINS_BEFORE = /^[\p{L}\p{M}\p{Extended_Pictographic}]$/u;
export const VARIATION_SELECTOR = /^[\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;
export const TAG = /^[\u{e0020}-\u{e007f}]$/u;

/**
 * True when `s` shows as what it says: no control, bidi or invisible
 * character, and at least one visible character (not only whitespace).
 * Three invisible characters are kept where scripts and emoji need them: a
 * zero-width (non-)joiner between two letters or pictographs (Persian
 * "می‌خواهم", emoji "👩‍💻"), a variation selector after a visible character
 * ("❤️"), and emoji tag characters after 🏴 (subdivision flags).
 */
export function isDisplayableText(s: string): boolean {
  const cps = [...s];
  let visible = false;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    const prev = cps[i - 1];
    if (HIDDEN.test(c)) {
      const allowed =
        (JOINER.test(c) && prev !== undefined && JOINS_AFTER.test(prev) && cps[i + 1] !== undefined && JOINS_BEFORE.test(cps[i + 1]!)) ||
        (VARIATION_SELECTOR.test(c) && prev !== undefined && !HIDDEN.test(prev) && !/^\s$/u.test(prev)) ||
        (TAG.test(c) && prev !== undefined && (prev === '\u{1f3f4}' || TAG.test(prev)));
      if (!allowed) return false;
    } else if (!/^\s$/u.test(c)) {
      visible = true;
    }
  }
  return visible;
}
