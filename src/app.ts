// createApp(deps): composes the plugins and feature modules into one Elysia app; tests build apps with it.
import { Elysia } from 'elysia';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { Logger } from './lib/logger.ts';
import { healthModule } from './modules/health/index.ts';
import { bodyGuard, maxRequestBodySize } from './plugins/body-guard.ts';
import { docs } from './plugins/docs.ts';
import { errorHandler } from './plugins/error-handler.ts';
import { requestContext } from './plugins/request-context.ts';

export interface AppDependencies {
  config: Config;
  db: Database;
  log: Logger;
}

export function createApp({ config, db, log }: AppDependencies) {
  const app = new Elysia({ serve: { maxRequestBodySize: maxRequestBodySize(config.uploadMaxBytes) } });
  // The error handler reads the finished app's routes to tell a wrong method (405) from a wrong path (404).
  return app
    .use(requestContext(log))
    .use(errorHandler(log, () => app.routes))
    .use(bodyGuard(config.uploadMaxBytes))
    .use(docs())
    .use(healthModule(db));
}

export type App = ReturnType<typeof createApp>;
