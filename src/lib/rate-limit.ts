// Fixed-window request counters per key, kept in this process's memory.
import { AppError, CommonErrors } from './errors.ts';

interface Window {
  startedAt: number;
  windowMs: number;
  count: number;
}

export interface RateLimitRule {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

/**
 * Counts hits per `scope:key` and throws 429 `rate_limited` with Retry-After past the rule's limit.
 * Counters live in memory: on several nodes each node counts its own share, which still bounds abuse.
 */
export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  #lastSweep = Date.now();

  constructor(private readonly enabled: boolean) {}

  /** Counts one hit; throws once `key` is past `rule.limit` in the current window. */
  hit(scope: string, key: string, rule: RateLimitRule): void {
    if (!this.enabled) return;
    const now = Date.now();
    this.#sweep(now);
    const id = `${scope}:${key}`;
    let window = this.#windows.get(id);
    if (!window || now - window.startedAt >= rule.windowMs) {
      window = { startedAt: now, windowMs: rule.windowMs, count: 0 };
      this.#windows.set(id, window);
    }
    window.count++;
    if (window.count > rule.limit) {
      const retryAfter = Math.max(1, Math.ceil((window.startedAt + rule.windowMs - now) / 1000));
      throw new AppError(429, CommonErrors.rateLimited, 'Too many requests, try again later', { retryAfter }, {
        'retry-after': String(retryAfter),
      });
    }
  }

  /** Forgets a key's count, e.g. an account's failed logins once it logs in. */
  reset(scope: string, key: string): void {
    this.#windows.delete(`${scope}:${key}`);
  }

  /** Drops finished windows now and then so the map does not grow without bound. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [id, window] of this.#windows) {
      if (now - window.startedAt >= window.windowMs) this.#windows.delete(id);
    }
  }
}
