import t from 'tap';
import fc from 'fast-check';
import { displayableTextPattern } from '../src/contract/displayable-text';
import { openApiDocument } from '../src/contract/openapi';
import { isDisplayableText } from '../src/kernel/text';

// Found by Schemathesis (positive_data_acceptance): register with displayName "§\u008f^…" was schema-valid
// (any 1–64 characters) and answered 400, since the server refuses control, bidi and invisible characters.
// The document now carries that rule as a pattern; it must say exactly what isDisplayableText says.
const pattern = new RegExp(displayableTextPattern(), 'u');

/** Characters around every rule: letters, marks, digits, emoji, joiners, variation selectors, tags, 🏴, spaces, controls, bidi. */
const PIECES = ['a', 'Z', 'é', '\u0301', '1', '-', '서', 'م', '👩', '💻', '❤', '\u{1f3fb}', '🏴', '\u200c', '\u200d', '\ufe0f', '\ufe00', '\u{e0100}', '\u{e0067}', '\u{e007f}', ' ', '\u00a0', '\u3000', '\t', '\n', '\u0000', '\u008f', '\u200b', '\u202e', '\u2066', '\ufeff', '\u2028', '\u3164', '\u2800', '\u{10ffff}'];

t.test('the pattern agrees with isDisplayableText', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), (pieces) => {
      const s = pieces.join('');
      return pattern.test(s) === isDisplayableText(s);
    }),
    { numRuns: 20_000 },
  );
  for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x30000 ? 1 : 0x101) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    for (const text of [s, `a${s}`, `a${s}b`]) if (pattern.test(text) !== isDisplayableText(text)) t.fail(`U+${cp.toString(16)} in ${JSON.stringify(text)}`);
  }
  t.pass('single code points, after and between letters');
});

t.test('it fails in linear time on a long string', async (t) => {
  const start = performance.now();
  for (const unit of ['a', 'a\ufe0f', 'a\u200d', '🏴\u{e0067}', ' ']) pattern.test(unit.repeat(100_000) + '\u0000');
  t.ok(performance.now() - start < 5000, `${Math.round(performance.now() - start)} ms`);
});

t.test('the document gives it for register.displayName', async (t) => {
  const doc = await openApiDocument();
  const body = doc.paths?.['/v1/auth/register']?.post?.requestBody as { content: Record<string, { schema: { properties: { displayName: object } } }> };
  t.match(body.content['application/json']!.schema.properties.displayName, { type: 'string', minLength: 1, maxLength: 64, pattern: displayableTextPattern() });
});
