import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { EsMessageIndex } from './es-message-index';

/** Rebuilds the search index from a stream of stored timeline events (idempotent: versions are seqs), one `_bulk` request per page. */
export async function replayIntoIndex(pages: AsyncIterable<{ event: TimelineEvent }[]>, index: EsMessageIndex): Promise<number> {
  let n = 0;
  await index.ensureIndex();
  for await (const page of pages) {
    // One _bulk request per page; an event Elasticsearch refuses stops the rebuild, as it did per event.
    const [refused] = await index.applyBatch(page.map((p) => p.event));
    if (refused) throw refused.error;
    n += page.length;
  }
  await index.refresh();
  return n;
}
