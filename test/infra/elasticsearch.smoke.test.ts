// Smoke test against a real Elasticsearch 8.x node (scripts/services.sh up elasticsearch).
// Creates an index with the mapping the search service uses
// (infra/elasticsearch/messages-index.json) and checks Korean substring search
// with the app-side n-gram scheme from docs/adr/0004-elasticsearch-korean-search.md.
//
//   eval "$(bash scripts/services.sh up elasticsearch)" && npx tap test/infra/elasticsearch.smoke.test.ts
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Client } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
// The n-gram scheme of ADR 0004, as the search service computes it.
import { bodyGrams, candidateQuery } from '../../services/search/src/korean-grams';

const url = process.env.ELASTICSEARCH_URL;

// ---- the n-gram scheme of ADR 0004 (reference implementation) ------------
// Same semantics as Phase 1 (ADR 0002): the query, NFC + lower-cased, must be a
// substring of the NFC + lower-cased body. Whitespace is kept as a placeholder
// character so bigrams that span a space survive the `whitespace` analyzer.
const SPACE = '\uE000';

/** "q is a substring of the body": consecutive bigrams = match_phrase; 1 char = unigram term. */
function substringQuery(q: string): estypes.QueryDslQueryContainer {
  if (q.trim() === '') return { match_none: {} };
  return {
    bool: {
      filter: [{ term: { deleted: false } }],
      // The body itself is stored, not indexed: results are sorted by time, never ranked by it.
      must: [candidateQuery(q.trim()) as estypes.QueryDslQueryContainer],
    },
  };
}

t.test('bodyGrams (pure)', async (t) => {
  t.same(bodyGrams('서버가 죽었어요!'), {
    bodyBigrams: `서버 버가 가${SPACE} ${SPACE}죽 죽었 었어 어요 요!`,
    bodyUnigrams: '서 버 가 죽 었 어 요 !',
  });
  t.same(bodyGrams('Hello'), { bodyBigrams: 'he el ll lo', bodyUnigrams: 'h e l o' });
  t.same(bodyGrams('가'), { bodyBigrams: '', bodyUnigrams: '가' });
  t.same(substringQuery('   '), { match_none: {} });
});

t.test('elasticsearch smoke', { skip: url ? false : 'ELASTICSEARCH_URL not set', timeout: 60_000 }, async (t) => {
  const es = new Client({ node: url!, requestTimeout: 15_000, maxRetries: 1 });
  const index = `messages-smoke-${randomUUID()}`;
  t.teardown(async () => {
    await es.indices.delete({ index, ignore_unavailable: true }).catch(() => {});
    await es.close();
  });

  // Not es.info()/es.ping(): `GET /` and `HEAD /` live in the rest-root module,
  // which the integ-test-zip does not ship (405). Use cluster/nodes APIs.
  const health = await es.cluster.health({ wait_for_status: 'yellow', timeout: '10s' });
  t.not(health.status, 'red', `cluster health ${health.status}`);
  const nodes = await es.nodes.info({ node_id: '_local', metric: '_none' });
  const version = Object.values(nodes.nodes)[0]?.version ?? '?';
  t.match(version, /^8\./, `talking to Elasticsearch ${version}`);

  const spec = JSON.parse(readFileSync(new URL('../../infra/elasticsearch/messages-index.json', import.meta.url), 'utf8'));
  await es.indices.create({ index, settings: spec.settings, mappings: spec.mappings });
  t.pass('index created with infra/elasticsearch/messages-index.json');

  const bodies = ['서버가 죽었어요', '채팅서버', 'Hello World', '다른 글'];
  const roomId = `room-${randomUUID()}`;
  const operations = bodies.flatMap((body, i) => {
    const messageId = `m${i + 1}`;
    return [
      { index: { _index: index, _id: messageId } },
      {
        messageId,
        roomId,
        seq: i + 1,
        senderId: 'u1',
        body,
        ...bodyGrams(body),
        createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
        deleted: false,
      },
    ];
  });
  const bulk = await es.bulk({ operations, refresh: true });
  t.equal(bulk.errors, false, `bulk indexed ${bodies.length} docs without errors`);

  const search = async (q: string): Promise<string[]> => {
    const res = await es.search<{ messageId: string }>({
      index,
      query: { bool: { filter: [{ term: { roomId } }], must: [substringQuery(q)] } },
      size: 20,
    });
    return res.hits.hits.map((h) => h._source!.messageId).sort();
  };

  t.same(await search('서버'), ['m1', 'm2'], '서버 finds 서버가 죽었어요 and 채팅서버');
  t.same(await search('hello'), ['m3'], 'hello (lowercase) finds Hello World');
  t.same(await search('world'), ['m3'], 'world finds Hello World');
  t.same(await search('서'), ['m1', 'm2'], 'one-character 서 finds the two 서버 messages');
  t.same(await search('채팅서버'), ['m2'], 'whole word');
  t.same(await search('팅서'), ['m2'], 'infix inside a word');
  t.same(await search('버가 죽'), ['m1'], 'substring spanning a space');
  t.same(await search('서버 죽'), [], 'not a substring: no match (same as Phase 1 LIKE)');
  t.same(await search('o w'), ['m3'], 'Latin across a space');
  t.same(await search('HELLO WORLD'), ['m3'], 'case-insensitive');
  t.same(await search('글'), ['m4'], 'one-character word');
  t.same(await search('없음'), [], 'absent text');

  await es.update({ index, id: 'm1', doc: { deleted: true }, refresh: true });
  t.same(await search('서버'), ['m2'], 'deleted messages are not found');
});
