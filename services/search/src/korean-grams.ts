/**
 * The app-side n-grams of docs/adr/0004: the ES build we run has no ngram
 * tokenizer, so bigrams (and unigrams for one-character queries) are computed
 * here and indexed with the whitespace analyzer. A query matches exactly when
 * it is a substring of the NFC, lower-cased body, as in Phase 1.
 */
import { searchForm } from '@chat/shared/kernel/text';

const SPACE = '\uE000';

function normalise(text: string): string[] {
  return Array.from(searchForm(text), (c) => (/\s/u.test(c) ? SPACE : c));
}

function bigrams(chars: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

export function bodyGrams(body: string): { bodyBigrams: string; bodyUnigrams: string } {
  const chars = normalise(body);
  return { bodyBigrams: bigrams(chars).join(' '), bodyUnigrams: [...new Set(chars.filter((c) => c !== SPACE))].join(' ') };
}

/** Consecutive bigrams as a phrase = substring; one character = a unigram term. */
export function candidateQuery(q: string): object {
  const chars = normalise(q);
  if (chars.length === 0) return { match_none: {} };
  if (chars.length === 1) return chars[0] === SPACE ? { match_all: {} } : { term: { bodyUnigrams: chars[0]! } };
  return { match_phrase: { bodyBigrams: bigrams(chars).join(' ') } };
}
