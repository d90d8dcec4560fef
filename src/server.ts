// Boots a server from a config: database, migrations, app, listen; and stops it gracefully.
import type { Config } from './config.ts';
import { openDatabase } from './db/client.ts';
import { scheduleHousekeeping } from './db/housekeeping.ts';
import { migrateDatabase } from './db/migrate.ts';
import { createApp, createDependencies } from './app.ts';
import { createLogger } from './lib/logger.ts';
import { closeAllSockets, scheduleSlowConsumerSweep } from './realtime/ws.ts';

export interface RunningServer {
  /** Where it listens, e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  /**
   * Closes sockets (reconnect code), stops accepting, lets in-flight requests finish, commits queued
   * writes, sends queued email, then closes the database.
   */
  stop(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  const db = await openDatabase(config);
  const applied = await migrateDatabase(db.$client);
  if (applied > 0) log.info('migrations applied', { count: applied });

  const deps = await createDependencies(config, db, log);
  const app = createApp(deps);
  app.listen({ port: config.port, hostname: config.host });
  const server = app.server!;
  deps.hub.attach(server);
  const stopHousekeeping = scheduleHousekeeping(db, config.eventRetention, log);
  const stopSweep = scheduleSlowConsumerSweep(deps);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${server.port}`;
  log.info('listening', { url, docs: `${url}/swagger`, database: redactUrl(config.databaseUrl), ...(deps.broker ? { redis: redactUrl(config.redisUrl!), nodeId: deps.broker.nodeId } : {}) });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down');
      // Sockets first, with a reconnect code: clients resume on another node or after the restart.
      stopHousekeeping();
      stopSweep();
      closeAllSockets(deps);
      await server.stop(false);
      await deps.writer.drain();
      deps.presence.stop();
      deps.broker?.close();
      await deps.mailer.idle();
      db.$client.close();
      log.info('stopped');
    })());
  return { url, port: server.port!, stop };
}

/** Credentials never reach the log. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&]authToken=)[^&]*/, '$1***');
}
