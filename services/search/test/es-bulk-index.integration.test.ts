// EsMessageIndex.applyBatch against a real Elasticsearch: one `_bulk` request per
// consumed batch, external versions (the event seq) kept, per-item results.
//
//   ELASTICSEARCH_URL=http://127.0.0.1:39200 npx tap services/search/test/es-bulk-index.integration.test.ts
//
// Every test uses a fresh index (deleted at the end). Requests are counted with
// the client's diagnostic events.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Test } from 'tap';
import { Client } from '@elastic/elasticsearch';
import type { MessageView, TimelineEvent } from '@chat/shared/events/timeline-events';
import { classifyFailure } from '@chat/shared/events/consumer-retry-policy';
import { PoisonEventError } from '@chat/shared/kernel/errors';
import { BulkTransientError, EsMessageIndex } from '../src/es-message-index';

const url = process.env.ELASTICSEARCH_URL;
const skip = url ? false : 'ELASTICSEARCH_URL not set';

interface Counted {
  index: EsMessageIndex;
  client: Client;
  /** "METHOD path" of every request sent since the last reset. */
  requests: string[];
  name: string;
}

async function freshIndex(t: Test, limits?: { maxDocs?: number; maxBytes?: number }): Promise<Counted> {
  const name = `test-bulk-${randomUUID().slice(0, 8)}`;
  const client = new Client({ node: url!, requestTimeout: 10_000 });
  const requests: string[] = [];
  client.diagnostic.on('request', (_err, meta) => {
    const p = meta?.meta.request.params;
    if (p) requests.push(`${p.method} ${p.path}`);
  });
  const index = new EsMessageIndex(client, name, limits);
  await index.ensureIndex();
  t.teardown(async () => {
    await client.indices.delete({ index: name }).catch(() => {});
    await index.close();
  });
  requests.length = 0;
  return { index, client, requests, name };
}

const ROOM_A = randomUUID();
const ROOM_B = randomUUID();
const ROOM_C = randomUUID();
const ALL_ROOMS = [ROOM_A, ROOM_B, ROOM_C];

function message(roomId: string, seq: number, body: string, over: Partial<MessageView> = {}): MessageView {
  return { id: randomUUID(), roomId, seq, senderId: 'u1', clientMsgId: `c-${seq}`, body, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), editedAt: null, deleted: false, ...over };
}
const at = (seq: number) => new Date(Date.UTC(2026, 0, 1, 0, 1, seq)).toISOString();
const posted = (m: MessageView): TimelineEvent => ({ type: 'message.posted', seq: m.seq, roomId: m.roomId, actorId: m.senderId, occurredAt: m.createdAt, message: m });
const edited = (m: MessageView, seq: number, body: string): TimelineEvent => ({
  type: 'message.edited',
  seq,
  roomId: m.roomId,
  actorId: m.senderId,
  occurredAt: at(seq),
  message: { ...m, body, editedAt: at(seq) },
});
const deleted = (m: MessageView, seq: number): TimelineEvent => ({ type: 'message.deleted', seq, roomId: m.roomId, actorId: m.senderId, occurredAt: at(seq), messageId: m.id });

async function bodies(index: EsMessageIndex, q: string): Promise<string[]> {
  await index.refresh();
  return (await index.search({ q, limit: 50 } as never, ALL_ROOMS)).map((m) => m.body).sort();
}

const bulkCalls = (requests: string[]) => requests.filter((r) => r.startsWith('POST') && r.endsWith('/_bulk')).length;

t.test('a batch of posts, edits and deletes for several rooms is one _bulk request, with edit/delete semantics', { skip }, async (t) => {
  const { index, requests } = await freshIndex(t);
  const a1 = message(ROOM_A, 1, '서버가 죽었어요');
  const a2 = message(ROOM_A, 2, 'hello world');
  const b1 = message(ROOM_B, 1, '채팅서버 점검');
  const b2 = message(ROOM_B, 2, 'old typo body');
  const c1 = message(ROOM_C, 1, '서버 지워질 메시지');
  const batch = [posted(a1), posted(a2), posted(b1), posted(b2), edited(b2, 3, 'fixed body'), posted(c1), deleted(c1, 2), deleted(a2, 3)];
  const failures = await index.applyBatch(batch);
  t.same(failures, []);
  t.equal(bulkCalls(requests), 1, `one _bulk request for ${batch.length} events (requests: ${requests.join(', ')})`);
  t.ok(requests.length <= 2, 'plus at most one _mget for the deletes');
  t.same(await bodies(index, '서버'), ['서버가 죽었어요', '채팅서버 점검'], 'the deleted 서버 message never matches');
  t.same(await bodies(index, 'hello'), [], 'deleted in the same batch as its post');
  t.same(await bodies(index, 'fixed'), ['fixed body'], 'the edit matches its new body');
  t.same(await bodies(index, 'typo'), [], 'and not its old one');
  const dump = await index.dump();
  t.same(dump[c1.id], { body: '', deleted: true, seq: 1 }, 'the tombstone keeps the base of the post in the same batch');
});

t.test('versions: an older event after a newer one is a no-op; a replayed batch changes nothing', { skip }, async (t) => {
  const { index, requests } = await freshIndex(t);
  const m = message(ROOM_A, 10, 'first version');
  const gone = message(ROOM_B, 20, 'will be deleted');
  // Newest first (e.g. after a replay): the edit and the delete land, the older post is a 409 = done.
  t.same(await index.applyBatch([edited(m, 12, 'second version'), deleted(gone, 21)]), []);
  t.same(await index.applyBatch([posted(m), posted(gone)]), [], 'older versions: 409, counted as done');
  t.same(await bodies(index, 'version'), ['second version']);
  t.same(await bodies(index, 'deleted'), [], 'a late post does not bring back a deleted message');
  // The whole history again, in order, in one batch: same state.
  requests.length = 0;
  t.same(await index.applyBatch([posted(m), edited(m, 12, 'second version'), posted(gone), deleted(gone, 21)]), []);
  t.equal(bulkCalls(requests), 1);
  t.same(await bodies(index, 'version'), ['second version']);
  t.same(await bodies(index, 'deleted'), []);
  // Reversed in one batch: delete before its post.
  const r = message(ROOM_C, 30, 'reversed post');
  t.same(await index.applyBatch([deleted(r, 31), posted(r)]), []);
  t.same(await bodies(index, 'reversed'), []);
  const dump = await index.dump();
  t.equal(dump[m.id]?.body, 'second version');
  t.equal(dump[gone.id]?.deleted, true);
  t.equal(dump[gone.id]?.seq, 0, 'the delete overtook its post: its tombstone (no base) stays, as with apply()');
});

t.test('one document Elasticsearch refuses (400) is a poison event alone; the rest of the batch is indexed', { skip }, async (t) => {
  const { index, requests } = await freshIndex(t);
  const ok1 = message(ROOM_A, 1, 'good one');
  const bad = message(ROOM_A, 2, 'bad date', { createdAt: 'not-a-date' });
  const ok2 = message(ROOM_B, 1, 'good two');
  const failures = await index.applyBatch([posted(ok1), posted(bad), posted(ok2), { type: 'message.posted', seq: 3, roomId: ROOM_A } as never]);
  t.equal(bulkCalls(requests), 1);
  t.same(
    failures.map((f) => f.index),
    [1, 3],
    'the refused document and the malformed event, by position',
  );
  for (const f of failures) {
    t.ok(f.error instanceof PoisonEventError);
    t.equal(classifyFailure(f.error).kind, 'deterministic');
  }
  t.match(failures[0]!.error.message, new RegExp(`index refused message ${bad.id}`));
  t.same(await bodies(index, 'good'), ['good one', 'good two']);
});

t.test('bounded: at most maxDocs documents (and maxBytes) per _bulk request', { skip }, async (t) => {
  const { index, requests } = await freshIndex(t, { maxDocs: 3 });
  const events = Array.from({ length: 7 }, (_, i) => posted(message(ROOM_A, i + 1, `bounded ${i}`)));
  t.same(await index.applyBatch(events), []);
  t.equal(bulkCalls(requests), 3, '7 documents, 3 per request');
  t.equal((await bodies(index, 'bounded')).length, 7);

  const bySize = await freshIndex(t, { maxBytes: 2_000 });
  const big = Array.from({ length: 4 }, (_, i) => posted(message(ROOM_B, i + 1, `sized ${'x'.repeat(300)} ${i}`)));
  t.same(await bySize.index.applyBatch(big), []);
  t.ok(bulkCalls(bySize.requests) >= 2, `split by bytes (${bulkCalls(bySize.requests)} requests)`);
  t.equal((await bodies(bySize.index, 'sized')).length, 4);
});

t.test('transient: unreachable, or an item answered 429/5xx, rejects the batch (retried); a 409 item is done', { skip }, async (t) => {
  const down = new EsMessageIndex(new Client({ node: 'http://127.0.0.1:1', maxRetries: 0, requestTimeout: 1_000 }), 'nowhere');
  t.teardown(() => down.close());
  const err = await down.applyBatch([posted(message(ROOM_A, 1, 'x'))]).then(() => undefined, (e: unknown) => e);
  t.ok(err, 'rejects');
  t.equal(classifyFailure(err).kind, 'transient');

  // Item statuses Elasticsearch returns under pressure, from a client that answers like _bulk does.
  const answering = (statuses: number[]) =>
    new EsMessageIndex(
      {
        bulk: async () => ({
          errors: true,
          took: 1,
          items: statuses.map((status) => ({ index: { _index: 'm', _id: 'x', status, ...(status >= 300 ? { error: { type: status === 409 ? 'version_conflict_engine_exception' : 'es_rejected_execution_exception', reason: 'r' } } : {}) } })),
        }),
      } as never,
      'm',
    );
  const two = [posted(message(ROOM_A, 1, 'x')), posted(message(ROOM_A, 2, 'y'))];
  t.same(await answering([201, 409]).applyBatch(two), [], '409 = an equal or newer version is there: done');
  for (const status of [429, 503]) {
    const e = await answering([201, status]).applyBatch(two).then(() => undefined, (x: unknown) => x);
    t.ok(e instanceof BulkTransientError, `${status} rejects`);
    t.equal(classifyFailure(e).kind, 'transient', `${status} is transient`);
  }
});

t.test('apply (the per-event fallback) keeps its semantics', { skip }, async (t) => {
  const { index, requests } = await freshIndex(t);
  const m = message(ROOM_A, 1, 'per event');
  await index.apply(posted(m));
  await index.apply(edited(m, 2, 'per event edited'));
  await index.apply(posted(m));
  t.equal(requests.filter((r) => r.startsWith('PUT')).length, 3, 'one index request per event');
  t.same(await bodies(index, 'per event'), ['per event edited']);
  await index.apply(deleted(m, 3));
  t.same(await bodies(index, 'per event'), []);
  await t.rejects(index.apply({ type: 'message.deleted', seq: 4 } as never), PoisonEventError);
});
