import t from 'tap';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { openDatabase } from '../src/db/database';
import type { EventEnvelope } from '../src/events/event-envelope';
import { InMemoryEventBus } from '../src/events/in-memory-event-bus';
import { OutboxRelay } from '../src/events/outbox-relay';

/** Counts the SELECTs a Kysely instance runs. */
class SelectCounter implements KyselyPlugin {
  selects = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'SelectQueryNode') this.selects++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

const envelope = (n: number): EventEnvelope => ({ id: `e${n}`, type: 'message.posted', version: 1, key: 'room-1', occurredAt: new Date().toISOString(), payload: { n } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a handed-over row that the table read finds alone is published with one read of the table, not two', async (t) => {
  const db = await openDatabase('sqlite::memory:');
  const counter = new SelectCounter();
  const bus = new InMemoryEventBus();
  const seen: string[] = [];
  await bus.subscribe({ group: 'g', topics: ['room'], handler: async (e) => void seen.push(e.id) });
  // No poll during the test: only hand-overs start a step.
  const relay = new OutboxRelay(db.kysely.withPlugin(counter), bus, { warn: () => undefined }, { flushMs: 60_000 });
  t.teardown(async () => {
    await relay.stop();
    await db.close();
  });
  relay.start();
  await sleep(50);

  for (let n = 1; n <= 3; n++) {
    counter.selects = 0;
    const inserted = await db.kysely.insertInto('outbox').values({ event: JSON.stringify([envelope(n)]), created_at: Date.now() }).executeTakeFirstOrThrow();
    await relay.publishCommitted(Number(inserted.insertId), [envelope(n)]);
    while (seen.length < n) await sleep(5);
    await sleep(50);
    t.equal(counter.selects, 1, `row ${n}: one SELECT of the outbox`);
  }
  t.same(seen, ['e1', 'e2', 'e3']);
});

t.test('a full page is followed at once by the next read', async (t) => {
  const db = await openDatabase('sqlite::memory:');
  const bus = new InMemoryEventBus();
  const seen: string[] = [];
  await bus.subscribe({ group: 'g', topics: ['room'], handler: async (e) => void seen.push(e.id) });
  for (let n = 1; n <= 250; n++) await db.kysely.insertInto('outbox').values({ event: JSON.stringify([envelope(n)]), created_at: Date.now() }).execute();
  const relay = new OutboxRelay(db.kysely, bus, { warn: () => undefined }, { flushMs: 60_000 });
  t.teardown(async () => {
    await relay.stop();
    await db.close();
  });
  relay.start();
  const end = Date.now() + 5_000;
  while (seen.length < 250 && Date.now() < end) await sleep(5);
  t.equal(seen.length, 250, 'three pages out without waiting for a poll');
  t.same(seen.slice(0, 3), ['e1', 'e2', 'e3']);
});
