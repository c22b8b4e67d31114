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

/**
 * The search projection in Elasticsearch. Each message is one document whose
 * external version is the seq of the event that wrote it, so a replayed or
 * late event can never bring back an older body (or undo a delete).
 */
export class EsMessageIndex {
  constructor(private readonly es: Client, private readonly index = 'messages') {}

  static connect(url: string, index?: string): EsMessageIndex {
    return new EsMessageIndex(new Client({ node: url, requestTimeout: 10_000, maxRetries: 2 }), index);
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
    const doc: MessageDoc = {
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

  /** Applies one stored timeline event; idempotent. An event without what it needs is a PoisonEventError (dead-lettered, not retried). */
  async apply(event: TimelineEvent): Promise<void> {
    switch (event?.type) {
      case 'message.posted':
      case 'message.edited':
        if (typeof event.seq !== 'number' || typeof event.message?.id !== 'string' || typeof event.message.body !== 'string') throw new PoisonEventError(`${event.type} without seq or message`);
        return this.put(event.message, event.seq);
      case 'message.deleted': {
        if (typeof event.seq !== 'number' || typeof event.messageId !== 'string') throw new PoisonEventError('message.deleted without seq or messageId');
        // Only "not indexed (yet)" means no base; an unreachable index must fail the event, so it is retried.
        const found = await this.es.get<MessageDoc>({ index: this.index, id: event.messageId }).catch((err: unknown) => {
          if (err instanceof errors.ResponseError && err.statusCode === 404) return undefined;
          throw err;
        });
        const base = found?._source;
        const tomb: MessageView = {
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
        return this.put(tomb, event.seq);
      }
      default:
        return;
    }
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
