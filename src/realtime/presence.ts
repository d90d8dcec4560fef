// Presence: online from a user's first socket on any node, offline (with lastSeenAt) a grace period
// after their last socket anywhere closes.
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { users } from '../db/schema/index.ts';
import type { Logger } from '../lib/logger.ts';
import { presenceTopic } from './events.ts';
import type { Hub } from './hub.ts';
import type { PresenceRegistry } from './presence-registry.ts';

export class Presence {
  readonly #offlineTimers = new Map<string, Timer>();
  /** Users with a socket on this node, as told to the registry. */
  readonly #here = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly hub: Hub,
    private readonly registry: PresenceRegistry,
    private readonly log: Logger,
    /** A reconnect within this window (a page reload, a network switch) does not flicker offline. */
    private readonly graceMs: number,
  ) {}

  /** A socket of `userId` opened on this node. */
  async connected(userId: string): Promise<void> {
    const timer = this.#offlineTimers.get(userId);
    if (timer) {
      clearTimeout(timer);
      this.#offlineTimers.delete(userId);
    }
    if (this.#here.has(userId)) return;
    this.#here.add(userId);
    try {
      if (await this.registry.add(userId)) this.hub.publishEphemeral(presenceTopic(userId), 'PRESENCE', { userId, online: true, lastSeenAt: null });
    } catch (error) {
      // Redis away: the socket works, friends just do not hear about it.
      this.log.error('presence update failed', { userId, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** The last socket of `userId` on this node closed: offline unless one opens, here or elsewhere, within the grace period. */
  disconnected(userId: string): void {
    if (this.#offlineTimers.has(userId)) return;
    const timer = setTimeout(() => {
      this.#offlineTimers.delete(userId);
      if (this.hub.isConnected(userId)) return;
      this.#here.delete(userId);
      this.#goOffline(userId).catch((error: Error) => this.log.error('presence update failed', { userId, error: error.message }));
    }, this.graceMs);
    this.#offlineTimers.set(userId, timer);
  }

  async #goOffline(userId: string): Promise<void> {
    // Still online through a socket on another node: nothing to say.
    if (!(await this.registry.remove(userId))) return;
    const lastSeenAt = new Date();
    await this.db.update(users).set({ lastSeenAt }).where(eq(users.id, userId));
    // Back on this node meanwhile: its connect already said online.
    if (this.#here.has(userId)) return;
    this.hub.publishEphemeral(presenceTopic(userId), 'PRESENCE', { userId, online: false, lastSeenAt: lastSeenAt.toISOString() });
  }

  /** Which of `userIds` are online on any node. */
  onlineAmong(userIds: string[]): Promise<Set<string>> {
    return this.registry.onlineAmong(userIds);
  }

  /** Stops pending timers (shutdown). */
  stop(): void {
    for (const timer of this.#offlineTimers.values()) clearTimeout(timer);
    this.#offlineTimers.clear();
    this.registry.stop();
  }
}
