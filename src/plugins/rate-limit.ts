// `{ rateLimit: 'scope' }` on a route: at most RATE_LIMIT requests per minute per client IP in that scope.
import { Elysia } from 'elysia';
import type { RateLimiter } from '../lib/rate-limit.ts';

export function rateLimitByIp(limiter: RateLimiter, perMinute: number | 'off') {
  const rule = { limit: perMinute === 'off' ? Number.POSITIVE_INFINITY : perMinute, windowMs: 60_000 };
  return new Elysia({ name: 'rate-limit' }).macro({
    rateLimit: (scope: string) => ({
      detail: { description: `Rate-limited per client IP (scope \`${scope}\`): 429 with Retry-After past the limit.` },
      // transform runs before validation, so malformed attempts count too.
      transform({ request, server }) {
        const ip = server?.requestIP(request)?.address ?? 'unknown';
        limiter.hit(scope, ip, rule);
      },
    }),
  });
}
