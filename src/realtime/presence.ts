// Presence: online from a user's first socket, offline (with lastSeenAt) a grace period after the last closes.
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { users } from '../db/schema/index.ts';
import { presenceTopic } from './events.ts';
import type { Hub } from './hub.ts';

export interface PresenceState {
  online: boolean;
  lastSeenAt: string | null;
}

export class Presence {
  readonly #offlineTimers = new Map<string, Timer>();
  readonly #online = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly hub: Hub,
    /** A reconnect within this window (a page reload, a network switch) does not flicker offline. */
    private readonly graceMs: number,
  ) {}

  /** A socket of `userId` opened. */
  connected(userId: string): void {
    const timer = this.#offlineTimers.get(userId);
    if (timer) {
      clearTimeout(timer);
      this.#offlineTimers.delete(userId);
    }
    if (this.#online.has(userId)) return;
    this.#online.add(userId);
    this.hub.publishEphemeral(presenceTopic(userId), 'PRESENCE', { userId, online: true, lastSeenAt: null });
  }

  /** The last socket of `userId` on this node closed: offline unless one opens within the grace period. */
  disconnected(userId: string): void {
    if (this.#offlineTimers.has(userId)) return;
    const timer = setTimeout(async () => {
      this.#offlineTimers.delete(userId);
      if (this.hub.isConnected(userId)) return;
      this.#online.delete(userId);
      const lastSeenAt = new Date();
      await this.db.update(users).set({ lastSeenAt }).where(eq(users.id, userId));
      this.hub.publishEphemeral(presenceTopic(userId), 'PRESENCE', { userId, online: false, lastSeenAt: lastSeenAt.toISOString() });
    }, this.graceMs);
    this.#offlineTimers.set(userId, timer);
  }

  isOnline(userId: string): boolean {
    return this.#online.has(userId);
  }

  /** Stops pending timers (shutdown). */
  stop(): void {
    for (const timer of this.#offlineTimers.values()) clearTimeout(timer);
    this.#offlineTimers.clear();
  }
}
