import { HIDDEN, JOINER, JOINS_AFTER, JOINS_BEFORE, TAG, VARIATION_SELECTOR } from '../kernel/text';

/**
 * isDisplayableText (kernel/text.ts) as a JSON Schema pattern, so the document
 * says which display names the server takes. Character classes are spelled out
 * from the same Unicode properties (ECMAScript `\p{…}` has no counterpart in
 * most regex dialects): BMP characters as `\uXXXX`, others literally.
 *
 * Grammar (unambiguous, so a failing match backtracks a step at a time):
 *   text   := W* (chunk W*)+                      at least one visible character
 *   chunk  := joined | NJ | FLAG TAG+
 *   joined := (JA VS? | NJ VS) (J JB VS?)* (J FLAG TAG+)?
 * W: whitespace that is not hidden; V: visible (neither hidden nor whitespace);
 * JA / JB: visible characters a joiner may follow / precede; NJ: V minus JA;
 * VS: variation selectors; J: ZWNJ, ZWJ; FLAG: 🏴; TAG: emoji tag characters.
 */
function charClass(test: (c: string) => boolean): string {
  const ranges: Array<[number, number]> = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (!test(String.fromCodePoint(cp))) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === cp - 1) last[1] = cp;
    else ranges.push([cp, cp]);
  }
  const one = (cp: number) => (cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : String.fromCodePoint(cp));
  return `[${ranges.map(([a, b]) => (a === b ? one(a) : `${one(a)}-${one(b)}`)).join('')}]`;
}

function build(): string {
  const space = (c: string) => /^\s$/u.test(c);
  const hidden = (c: string) => HIDDEN.test(c);
  const visible = (c: string) => !hidden(c) && !space(c);
  const W = charClass((c) => !hidden(c) && space(c));
  const JA = charClass((c) => visible(c) && JOINS_AFTER.test(c));
  const JB = charClass((c) => visible(c) && JOINS_BEFORE.test(c));
  const NJ = charClass((c) => visible(c) && !JOINS_AFTER.test(c));
  const VS = charClass((c) => VARIATION_SELECTOR.test(c));
  const J = charClass((c) => JOINER.test(c));
  const FLAGGED = `\u{1f3f4}${charClass((c) => TAG.test(c))}+`;
  const joined = `(?:${JA}${VS}?|${NJ}${VS})(?:${J}${JB}${VS}?)*(?:${J}${FLAGGED})?`;
  return `^${W}*(?:(?:${joined}|${NJ}|${FLAGGED})${W}*)+$`;
}

let pattern: string | undefined;

/** The pattern (ECMAScript, and as read by other dialects the same), built once. */
export function displayableTextPattern(): string {
  pattern ??= build();
  return pattern;
}
