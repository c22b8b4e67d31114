import t from 'tap';
import { bodyGrams, candidateQuery } from '../src/korean-grams';

t.test('n-grams keep spaces as a placeholder, so phrases across a space still match', async (t) => {
  t.same(bodyGrams('서버가 죽'), { bodyBigrams: '서버 버가 가\uE000 \uE000죽', bodyUnigrams: '서 버 가 죽' });
  t.same(bodyGrams('Hello'), { bodyBigrams: 'he el ll lo', bodyUnigrams: 'h e l o' });
});

t.test('a query is a phrase of its bigrams, or one unigram', async (t) => {
  t.same(candidateQuery('서버'), { match_phrase: { bodyBigrams: '서버' } });
  t.same(candidateQuery('서'), { term: { bodyUnigrams: '서' } });
  t.same(candidateQuery('팅서버'), { match_phrase: { bodyBigrams: '팅서 서버' } });
});
