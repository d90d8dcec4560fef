// createApp(deps): composes the plugins and feature modules into one Elysia app; tests build apps with it.
import { Elysia } from 'elysia';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { createGroupCommitWriter, type GroupCommitWriter } from './db/group-commit.ts';
import { deriveKey } from './lib/crypto.ts';
import type { Logger } from './lib/logger.ts';
import { loadMasterSecret } from './lib/master-secret.ts';
import { RateLimiter } from './lib/rate-limit.ts';
import { authModule } from './modules/auth/index.ts';
import { createTokenSigner, type TokenSigner } from './modules/auth/tokens.ts';
import { createMailer, type Mailer } from './modules/email/mailer.ts';
import { chatsModule } from './modules/chats/index.ts';
import { friendsModule } from './modules/friends/index.ts';
import { RelationCache } from './modules/friends/relation-cache.ts';
import { groupsModule } from './modules/groups/index.ts';
import { healthModule } from './modules/health/index.ts';
import { messagesModule } from './modules/messages/index.ts';
import { mfaModule } from './modules/mfa/index.ts';
import { notificationsModule } from './modules/notifications/index.ts';
import { uploadsModule } from './modules/uploads/index.ts';
import { createUploadStore, type UploadStore } from './modules/uploads/store.ts';
import { usersModule } from './modules/users/index.ts';
import { bodyGuard, maxRequestBodySize } from './plugins/body-guard.ts';
import { docs } from './plugins/docs.ts';
import { errorHandler } from './plugins/error-handler.ts';
import { requestContext } from './plugins/request-context.ts';
import { createRedisBroker, type Broker } from './realtime/broker.ts';
import { readAllEventsAfter } from './realtime/events.ts';
import { Hub } from './realtime/hub.ts';
import { Presence } from './realtime/presence.ts';
import { createLocalPresenceRegistry, createRedisPresenceRegistry } from './realtime/presence-registry.ts';
import { realtimeModule, websocketSettings } from './realtime/ws.ts';

/** Everything services need, built once per server. */
export interface AppDependencies {
  config: Config;
  db: Database;
  log: Logger;
  mailer: Mailer;
  tokens: TokenSigner;
  limiter: RateLimiter;
  /** Keys derived from the master secret, one per purpose. */
  keys: { totp: Buffer };
  /** This node's sockets and topics. */
  hub: Hub;
  /** Redis pub/sub across nodes (REDIS_URL), or null for a single node. */
  broker: Broker | null;
  presence: Presence;
  /** Who may message whom, remembered on a single node. */
  relations: RelationCache;
  /** Every durable write with events goes through it: group commit, then publish. */
  writer: GroupCommitWriter;
  /** The bytes of uploaded files: UPLOAD_DIR or an S3 bucket. */
  uploads: UploadStore;
}

export async function createDependencies(config: Config, db: Database, log: Logger): Promise<AppDependencies> {
  const masterSecret = loadMasterSecret(config);
  const hub = new Hub((topic, cursor) => readAllEventsAfter(db, topic, cursor));
  const broker = config.redisUrl ? await createRedisBroker(config.redisUrl, log, hub) : null;
  if (broker) hub.useBroker(broker);
  const presenceRegistry = broker ? createRedisPresenceRegistry(broker.redis, broker.nodeId) : createLocalPresenceRegistry();
  const relations = new RelationCache(broker === null);
  return {
    config,
    db,
    log,
    mailer: createMailer(config, log),
    tokens: createTokenSigner(deriveKey(masterSecret, 'access-token').toString('base64url'), config.accessTokenTtl),
    limiter: new RateLimiter(config.rateLimit !== 'off'),
    keys: { totp: deriveKey(masterSecret, 'totp-secret') },
    hub,
    broker,
    presence: new Presence(db, hub, presenceRegistry, log, config.presenceGrace),
    relations,
    writer: createGroupCommitWriter(db, log, (events) => {
      relations.forgetRemoved(events);
      hub.publishDurable(events);
    }),
    uploads: createUploadStore(config),
  };
}

export function createApp(deps: AppDependencies) {
  const { config, db, log } = deps;
  const app = new Elysia({ serve: { maxRequestBodySize: maxRequestBodySize(config.uploadMaxBytes) }, websocket: websocketSettings(config) });
  // The error handler reads the finished app's routes to tell a wrong method (405) from a wrong path (404).
  return app
    .use(requestContext(log))
    .use(errorHandler(log, () => app.routes))
    .use(bodyGuard(config.uploadMaxBytes))
    .use(docs())
    .use(healthModule(db))
    .use(authModule(deps))
    .use(usersModule(deps))
    .use(mfaModule(deps))
    .use(friendsModule(deps))
    .use(messagesModule(deps))
    .use(groupsModule(deps))
    .use(chatsModule(deps))
    .use(notificationsModule(deps))
    .use(uploadsModule(deps))
    .use(realtimeModule(deps));
}

export type App = ReturnType<typeof createApp>;
