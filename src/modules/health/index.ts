// Liveness and readiness probes for load balancers and orchestrators.
import { Elysia, t } from 'elysia';
import type { Database } from '../../db/client.ts';
import { isDatabaseReachable } from '../../db/client.ts';
import { AppError } from '../../lib/errors.ts';

const Status = t.Object({ status: t.String({ examples: ['ok'] }) }, { description: 'Probe answer' });

export function healthModule(db: Database) {
  return new Elysia({ name: 'health', detail: { tags: ['System'] } })
    .model({ Status })
    .get('/health', () => ({ status: 'ok' }), {
      response: 'Status',
      detail: { summary: 'Liveness', description: 'Answers 200 while the process is up.' },
    })
    .get(
      '/ready',
      async () => {
        if (!(await isDatabaseReachable(db))) {
          throw new AppError(503, 'not_ready', 'The database is not reachable');
        }
        return { status: 'ok' };
      },
      {
        response: 'Status',
        detail: { summary: 'Readiness', description: 'Answers 200 when the database answers a query, 503 otherwise.' },
      },
    );
}
