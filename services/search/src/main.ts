import { createServiceApp } from '@chat/shared/http/service-app';
import type { RoomQueries } from '@chat/shared/ports/room-queries';
import { internalToken, rpcClient } from '@chat/shared/rpc/rpc';
import { openInfrastructure } from '@chat/shared/runtime/infrastructure';
import { runService } from '@chat/shared/runtime/run-service';
import { EsMessageIndex } from './es-message-index';
import { searchSubscription } from './search.consumer';
import { searchModule } from './search.module';

/**
 * Phase 3 search service: consumes stored timeline events (group "search")
 * into Elasticsearch and serves GET /v1/search over the caller's rooms now.
 */
await runService(async (config) => {
  const messageUrl = process.env.MESSAGE_URL;
  if (!messageUrl || !config.elasticsearchUrl) {
    console.error(`invalid configuration: ${messageUrl ? 'ELASTICSEARCH_URL' : 'MESSAGE_URL'} is required for the search service`);
    process.exit(78);
  }
  let checks: Record<string, () => Promise<void>> = {};
  const { app, metrics } = createServiceApp(config, 'search', () => checks);
  const infra = await openInfrastructure(config, metrics, 'search', { database: false });
  const index = EsMessageIndex.connect(config.elasticsearchUrl, process.env.ELASTICSEARCH_INDEX ?? 'messages');
  await index.ensureIndex();
  checks = { ...infra.checks, elasticsearch: () => index.ping() };
  const queries = rpcClient<RoomQueries>(messageUrl, 'room-queries', internalToken(config.jwt.secret));
  const subscription = await infra.bus.subscribe(searchSubscription(index));
  await app.register(searchModule, { queries, search: async (q) => index.search(q, q.roomId ? [q.roomId] : await queries.roomIdsOf(q.userId)) });
  return {
    app,
    close: async () => {
      await app.close();
      await subscription.close();
      await infra.close();
      await index.close();
    },
  };
}, 'search');
