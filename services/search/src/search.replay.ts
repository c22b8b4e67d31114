import type { TimelineEvent } from '@chat/shared/events/timeline-events';
import type { EsMessageIndex } from './es-message-index';

/** Rebuilds the search index from a stream of stored timeline events (idempotent: versions are seqs). */
export async function replayIntoIndex(pages: AsyncIterable<{ event: TimelineEvent }[]>, index: EsMessageIndex): Promise<number> {
  let n = 0;
  await index.ensureIndex();
  for await (const page of pages) {
    for (const { event } of page) await index.apply(event);
    n += page.length;
  }
  await index.refresh();
  return n;
}
