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
type ClassName = 'W' | 'JA' | 'JB' | 'NJ' | 'VS' | 'J' | 'TAG';

/** Which of the grammar's classes a character is in (one pass: each property is tested once per code point). */
function classesOf(c: string, into: (name: ClassName) => void): void {
  const hidden = HIDDEN.test(c);
  const space = /^\s$/u.test(c);
  if (!hidden && space) into('W');
  if (!hidden && !space) {
    const joinsAfter = JOINS_AFTER.test(c);
    if (joinsAfter) into('JA');
    else into('NJ');
    if (JOINS_BEFORE.test(c)) into('JB');
  }
  if (VARIATION_SELECTOR.test(c)) into('VS');
  if (JOINER.test(c)) into('J');
  if (TAG.test(c)) into('TAG');
}

/** Every class as a bracket expression of ranges, from one walk over all code points. */
function charClasses(): Record<ClassName, string> {
  const ranges: Record<ClassName, Array<[number, number]>> = { W: [], JA: [], JB: [], NJ: [], VS: [], J: [], TAG: [] };
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    classesOf(String.fromCodePoint(cp), (name) => {
      const list = ranges[name];
      const last = list[list.length - 1];
      if (last && last[1] === cp - 1) last[1] = cp;
      else list.push([cp, cp]);
    });
  }
  const one = (cp: number) => (cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : String.fromCodePoint(cp));
  const bracket = (list: Array<[number, number]>) => `[${list.map(([a, b]) => (a === b ? one(a) : `${one(a)}-${one(b)}`)).join('')}]`;
  return Object.fromEntries(Object.entries(ranges).map(([name, list]) => [name, bracket(list)])) as Record<ClassName, string>;
}

function build(): string {
  const { W, JA, JB, NJ, VS, J, TAG: TAGS } = charClasses();
  const FLAGGED = `\u{1f3f4}${TAGS}+`;
  const joined = `(?:${JA}${VS}?|${NJ}${VS})(?:${J}${JB}${VS}?)*(?:${J}${FLAGGED})?`;
  return `^${W}*(?:(?:${joined}|${NJ}|${FLAGGED})${W}*)+$`;
}

let pattern: string | undefined;

/** The pattern (ECMAScript, and as read by other dialects the same), built once. */
export function displayableTextPattern(): string {
  pattern ??= build();
  return pattern;
}
