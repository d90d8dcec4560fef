// Gives every request an id and a start time, logs it when answered, and echoes the id in `x-request-id`.
import { Elysia } from 'elysia';
import type { Logger } from '../lib/logger.ts';

interface RequestContext {
  id: string;
  startedAt: number;
}

const contexts = new WeakMap<Request, RequestContext>();

/** A client-sent id is kept when it is short and plain, so a request can be traced across proxies. */
const ACCEPTABLE_REQUEST_ID = /^[\w.-]{1,64}$/;

/** The id of a request that went through this plugin. */
export function requestIdOf(request: Request): string {
  return contexts.get(request)?.id ?? 'unknown';
}

export function requestContext(log: Logger) {
  return new Elysia({ name: 'request-context' })
    .onRequest(({ request, set }) => {
      const sent = request.headers.get('x-request-id');
      const id = sent && ACCEPTABLE_REQUEST_ID.test(sent) ? sent : Bun.randomUUIDv7();
      contexts.set(request, { id, startedAt: performance.now() });
      set.headers['x-request-id'] = id;
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, path }) => {
      const context = contexts.get(request);
      if (!context) return;
      log.info('request', {
        method: request.method,
        path,
        status: set.status,
        durationMs: Math.round((performance.now() - context.startedAt) * 100) / 100,
        requestId: context.id,
      });
    });
}
