import { readFileSync } from 'node:fs';
import { Client, errors } from '@elastic/elasticsearch';
import type { MessageView, TimelineEvent } from '@chat/shared/events/timeline-events';
import { PoisonEventError } from '@chat/shared/kernel/errors';
import { searchForm } from '@chat/shared/kernel/text';
import { bodyGrams, candidateQuery } from './korean-grams';
import type { SearchQuery } from './db-message-search';

const MAPPING_FILE = new URL('../../../infra/elasticsearch/messages-index.json', import.meta.url);

interface MessageDoc {
  messageId: string;
  roomId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  body: string;
  bodyBigrams: string;
  bodyUnigrams: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

/** A timeline event of a batch that Elasticsearch refused as such (or that lacks what it needs): dead-letter it alone. */
export interface IndexFailure {
  /** Position in the batch given to applyBatch. */
  readonly index: number;
  readonly error: PoisonEventError;
}

export interface BulkLimits {
  /** Documents per `_bulk` request (default 1000). */
  readonly maxDocs?: number;
  /** Approximate bytes of NDJSON per `_bulk` request (default 5 MB); a larger single document goes alone. */
  readonly maxBytes?: number;
}

/** Some items of a `_bulk` request could not be applied now (429, 5xx): the whole batch is retried (versions make that idempotent). */
export class BulkTransientError extends Error {
  constructor(message: string, readonly statusCode: number) {
    super(message);
    this.name = 'BulkTransientError';
  }
}

/**
 * The search projection in Elasticsearch. Each message is one document whose
 * external version is the seq of the event that wrote it, so a replayed or
 * late event can never bring back an older body (or undo a delete).
 */
export class EsMessageIndex {
  private readonly maxDocs: number;
  private readonly maxBytes: number;

  constructor(private readonly es: Client, private readonly index = 'messages', limits: BulkLimits = {}) {
    this.maxDocs = limits.maxDocs ?? 1000;
    this.maxBytes = limits.maxBytes ?? 5 * 1024 * 1024;
  }

  static connect(url: string, index?: string, limits?: BulkLimits): EsMessageIndex {
    return new EsMessageIndex(new Client({ node: url, requestTimeout: 10_000, maxRetries: 2 }), index, limits);
  }

  async ensureIndex(): Promise<void> {
    const spec = JSON.parse(readFileSync(MAPPING_FILE, 'utf8')) as { settings: object; mappings: { properties: Record<string, unknown> } };
    const mappings = { ...spec.mappings, properties: { ...spec.mappings.properties, clientMsgId: { type: 'keyword', index: false }, editedAt: { type: 'date' } } };
    try {
      await this.es.indices.create({ index: this.index, settings: spec.settings, mappings } as never);
    } catch (err) {
      if (!(err instanceof errors.ResponseError && err.body?.error?.type === 'resource_already_exists_exception')) throw err;
    }
  }

  async ping(): Promise<void> {
    await this.es.cluster.health({ index: this.index, timeout: '1s' });
  }

  private async put(message: MessageView, version: number): Promise<void> {
    const doc = toDoc(message);
    try {
      await this.es.index({ index: this.index, id: message.id, document: doc, version, version_type: 'external_gte' });
    } catch (err) {
      // A newer version is already there: this event was replayed or overtaken; nothing to do.
      if (err instanceof errors.ResponseError && err.statusCode === 409) return;
      // Elasticsearch refuses this document as such (mapping, parse): retrying cannot help; dead-letter it.
      if (err instanceof errors.ResponseError && err.statusCode === 400) throw new PoisonEventError(`index refused message ${message.id}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /**
   * Applies one stored timeline event; idempotent. An event without what it needs is a PoisonEventError (dead-lettered, not retried).
   * One request per event (two for a delete); the consumer uses applyBatch, this stays the per-event fallback.
   */
  async apply(event: TimelineEvent): Promise<void> {
    const problem = invalidMessageEvent(event);
    if (problem) throw new PoisonEventError(problem);
    switch (event?.type) {
      case 'message.posted':
      case 'message.edited':
        return this.put(event.message, event.seq);
      case 'message.deleted': {
        // Only "not indexed (yet)" means no base; an unreachable index must fail the event, so it is retried.
        const found = await this.es.get<MessageDoc>({ index: this.index, id: event.messageId }).catch((err: unknown) => {
          if (err instanceof errors.ResponseError && err.statusCode === 404) return undefined;
          throw err;
        });
        return this.put(tombstoneOf(event, found?._source), event.seq);
      }
      default:
        return;
    }
  }

  /**
   * Applies a batch of stored timeline events (in log order) with one `_bulk`
   * request (more only past maxDocs/maxBytes), each document written with its
   * event's seq as external version (`external_gte`, as apply() does): an older
   * event is a no-op (409, counted as done), a replay rewrites the same state.
   * A delete's tombstone keeps the newest base it can see: a post/edit earlier in
   * the batch or the stored document (one `_mget` for the batch's deletes).
   *
   * Resolves with the events refused as such (invalid, or 400 from
   * Elasticsearch): dead-letter each alone. Rejects when anything is transient
   * (unreachable, 429, 5xx, for the request or any item): retry the whole batch.
   * No refresh: searches see the writes after the index's refresh_interval.
   */
  async applyBatch(events: readonly TimelineEvent[]): Promise<IndexFailure[]> {
    const failures: IndexFailure[] = [];
    const writes: { at: number; message: MessageView; version: number }[] = [];
    const deletes: { at: number; event: Extract<TimelineEvent, { type: 'message.deleted' }> }[] = [];
    events.forEach((event, at) => {
      const problem = invalidMessageEvent(event);
      if (problem) failures.push({ index: at, error: new PoisonEventError(problem) });
      else if (event?.type === 'message.posted' || event?.type === 'message.edited') writes.push({ at, message: event.message, version: event.seq });
      else if (event?.type === 'message.deleted') deletes.push({ at, event });
    });
    if (deletes.length > 0) {
      const stored = await this.storedDocs([...new Set(deletes.map((d) => d.event.messageId))]);
      for (const { at, event } of deletes) {
        // The newest base before this delete: a post/edit earlier in the batch, or what is stored, whichever is newer.
        const inBatch = writes.filter((w) => w.at < at && w.message.id === event.messageId && w.version < event.seq).at(-1);
        const kept = stored.get(event.messageId);
        const useStored = kept && (!inBatch || kept.version > inBatch.version);
        const base = useStored ? kept.doc : inBatch ? toDoc(inBatch.message) : undefined;
        writes.push({ at, message: tombstoneOf(event, base), version: event.seq });
      }
      writes.sort((a, b) => a.at - b.at);
    }
    let lines: string[] = [];
    let owners: number[] = [];
    let bytes = 0;
    const flush = async () => {
      if (owners.length === 0) return;
      const [body, of] = [lines, owners];
      lines = [];
      owners = [];
      bytes = 0;
      failures.push(...(await this.sendBulk(body, of, events)));
    };
    for (const w of writes) {
      const action = JSON.stringify({ index: { _index: this.index, _id: w.message.id, version: w.version, version_type: 'external_gte' } });
      const doc = JSON.stringify(toDoc(w.message));
      const size = Buffer.byteLength(action) + Buffer.byteLength(doc) + 2;
      if (owners.length > 0 && (owners.length >= this.maxDocs || bytes + size > this.maxBytes)) await flush();
      lines.push(action, doc);
      owners.push(w.at);
      bytes += size;
    }
    await flush();
    return failures.sort((a, b) => a.index - b.index);
  }

  /** One `_bulk` request; item i belongs to events[owners[i]]. */
  private async sendBulk(operations: string[], owners: number[], events: readonly TimelineEvent[]): Promise<IndexFailure[]> {
    // A request-level failure (unreachable, 429, 5xx) rejects: transient, the batch is retried.
    const res = await this.es.bulk({ operations: operations as never });
    const failures: IndexFailure[] = [];
    if (!res.errors) return failures;
    let transient: { status: number; reason: string } | undefined;
    res.items.forEach((item, i) => {
      const r = item.index ?? Object.values(item)[0]!;
      const status = r.status;
      // 2xx written; 409: an equal-or-newer version is there (overtaken or replayed), nothing to do.
      if ((status >= 200 && status < 300) || status === 409) return;
      const reason = `${r.error?.type ?? 'error'}: ${r.error?.reason ?? ''}`;
      // Refused as such (mapping, parse): retrying cannot help; dead-letter this event alone.
      if (status === 400) {
        const at = owners[i]!;
        const id = (events[at] as { message?: { id?: string }; messageId?: string }).message?.id ?? (events[at] as { messageId?: string }).messageId;
        failures.push({ index: at, error: new PoisonEventError(`index refused message ${id}: ${reason}`) });
        return;
      }
      transient ??= { status, reason };
    });
    if (transient) throw new BulkTransientError(`bulk item failed (${transient.status}): ${transient.reason}`, transient.status >= 500 || transient.status === 429 ? transient.status : 503);
    return failures;
  }

  /** The stored documents (with their versions) of these ids; a missing one is absent. Unreachable rejects. */
  private async storedDocs(ids: string[]): Promise<Map<string, { doc: MessageDoc; version: number }>> {
    const res = await this.es.mget<MessageDoc>({ index: this.index, ids });
    const out = new Map<string, { doc: MessageDoc; version: number }>();
    for (const d of res.docs) {
      if ('found' in d && d.found && d._source) out.set(d._id, { doc: d._source, version: d._version ?? 0 });
      else if ('error' in d && d.error) throw new BulkTransientError(`mget ${d._id}: ${d.error.type}: ${d.error.reason}`, 503);
    }
    return out;
  }

  /** Newest first, only the given rooms, exact substring semantics (checked on the candidates). */
  async search(query: SearchQuery, roomIds: string[]): Promise<MessageView[]> {
    if (roomIds.length === 0) return [];
    const needle = searchForm(query.q);
    const res = await this.es.search<MessageDoc>({
      index: this.index,
      size: Math.min(500, query.limit * 10),
      sort: [{ createdAt: 'desc' }, { seq: 'desc' }],
      query: { bool: { filter: [{ terms: { roomId: roomIds } }, { term: { deleted: false } }], must: [candidateQuery(query.q)] } } as never,
    });
    return res.hits.hits
      .map((h) => h._source!)
      .filter((d) => searchForm(d.body).includes(needle))
      .slice(0, query.limit)
      .map((d) => ({ id: d.messageId, roomId: d.roomId, seq: d.seq, senderId: d.senderId, clientMsgId: d.clientMsgId, body: d.body, createdAt: d.createdAt, editedAt: d.editedAt, deleted: false }));
  }

  async refresh(): Promise<void> {
    await this.es.indices.refresh({ index: this.index });
  }

  /** Every document, by message id (for comparing a rebuilt index with the live one). */
  async dump(): Promise<Record<string, { body: string; deleted: boolean; seq: number }>> {
    const out: Record<string, { body: string; deleted: boolean; seq: number }> = {};
    const res = await this.es.search<MessageDoc>({ index: this.index, size: 10_000, query: { match_all: {} } });
    for (const h of res.hits.hits) out[h._id!] = { body: h._source!.body, deleted: h._source!.deleted, seq: h._source!.seq };
    return out;
  }

  async close(): Promise<void> {
    await this.es.close();
  }
}

/** Why this event cannot be applied (a PoisonEventError), or undefined. Events that are not about messages are fine (ignored). */
function invalidMessageEvent(event: TimelineEvent): string | undefined {
  switch (event?.type) {
    case 'message.posted':
    case 'message.edited':
      if (typeof event.seq !== 'number' || typeof event.message?.id !== 'string' || typeof event.message.body !== 'string') return `${event.type} without seq or message`;
      return undefined;
    case 'message.deleted':
      if (typeof event.seq !== 'number' || typeof event.messageId !== 'string') return 'message.deleted without seq or messageId';
      return undefined;
    default:
      return undefined;
  }
}

function toDoc(message: MessageView): MessageDoc {
  return {
    messageId: message.id,
    roomId: message.roomId,
    seq: message.seq,
    senderId: message.senderId,
    clientMsgId: message.clientMsgId,
    body: message.deleted ? '' : message.body,
    ...(message.deleted ? { bodyBigrams: '', bodyUnigrams: '' } : bodyGrams(message.body)),
    createdAt: message.createdAt,
    editedAt: message.editedAt,
    deleted: message.deleted,
  };
}

/** A deleted message: empty body fields, the rest from its base document when there is one (ADR 0005). */
function tombstoneOf(event: Extract<TimelineEvent, { type: 'message.deleted' }>, base: MessageDoc | undefined): MessageView {
  return {
    id: event.messageId,
    roomId: event.roomId,
    seq: base?.seq ?? 0,
    senderId: base?.senderId ?? event.actorId,
    clientMsgId: base?.clientMsgId ?? '',
    body: '',
    createdAt: base?.createdAt ?? event.occurredAt,
    editedAt: base?.editedAt ?? null,
    deleted: true,
  };
}
