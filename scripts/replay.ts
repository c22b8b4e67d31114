/**
 * Rebuilds projections from the event log (DESIGN invariant 5).
 *
 *   tsx scripts/replay.ts messages --from <DATABASE_URL> --to <empty DATABASE_URL>
 *   tsx scripts/replay.ts search   --from <DATABASE_URL> --index <new index name>   (ELASTICSEARCH_URL)
 *
 * --from is the message store (Phase 1: DATABASE_URL; Phase 3: the message
 * service's database). It prints what it did as one JSON line.
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../shared/src/db/database';
import { replayTimeline, storedTimeline } from '../services/message/src/timeline.replay';
import { EsMessageIndex } from '../services/search/src/es-message-index';
import { replayIntoIndex } from '../services/search/src/search.replay';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, index: { type: 'string' } } });
const what = positionals[0];
const from = values.from ?? process.env.DATABASE_URL;
if (!from || (what !== 'messages' && what !== 'search')) {
  console.error('usage: replay.ts messages --from URL --to URL | replay.ts search --from URL --index NAME');
  process.exit(64);
}
const source = await openDatabase(from);
const started = Date.now();
try {
  if (what === 'messages') {
    if (!values.to) throw new Error('--to is required');
    const target = await openDatabase(values.to);
    const stats = await replayTimeline(source, target);
    await target.close();
    console.log(JSON.stringify({ replayed: 'messages', ...stats, ms: Date.now() - started }));
  } else {
    const url = process.env.ELASTICSEARCH_URL;
    if (!url || !values.index) throw new Error('ELASTICSEARCH_URL and --index are required');
    const index = EsMessageIndex.connect(url, values.index);
    const events = await replayIntoIndex(storedTimeline(source), index);
    await index.close();
    console.log(JSON.stringify({ replayed: 'search', index: values.index, events, ms: Date.now() - started }));
  }
} finally {
  await source.close();
}
