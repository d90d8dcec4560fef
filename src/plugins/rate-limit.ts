// `{ rateLimit: 'scope' }` on a route: at most RATE_LIMIT requests per minute per client IP in that scope.
// Documented once in the API description (plugins/docs.ts): a macro's detail would replace each route's own.
import { Elysia } from 'elysia';
import type { RateLimiter } from '../lib/rate-limit.ts';

export function rateLimitByIp(limiter: RateLimiter, perMinute: number | 'off') {
  const rule = { limit: perMinute === 'off' ? Number.POSITIVE_INFINITY : perMinute, windowMs: 60_000 };
  return new Elysia({ name: 'rate-limit' }).macro({
    rateLimit: (scope: string) => ({
      // transform runs before validation, so malformed attempts count too.
      transform({ request, server }) {
        const ip = server?.requestIP(request)?.address ?? 'unknown';
        limiter.hit(scope, ip, rule);
      },
    }),
  });
}
