// Who may message whom, remembered: otherwise a direct send checks friendship and blocks on every message,
// about a quarter of its cost.
import type { DurableEvent } from '../../realtime/events.ts';
import { directKeyOf } from '../chats/service.ts';

/** Past this many pairs the cache starts over, to bound its memory. */
const MAX_PAIRS = 100_000;

/**
 * Only "may message, in this chat" is remembered, and only on a single node: there every change that
 * takes it away (unfriending, blocking, deleting an account) is a FRIEND_REMOVED event committed by this
 * node's writer, which forgets the pair before anyone hears of the change. With several nodes (Redis)
 * the change may be another node's, so the cache is off.
 */
export class RelationCache {
  readonly #chatIds = new Map<string, string>();
  /** Bumped by every change: a lookup that began before one does not remember its answer. */
  #generation = 0;

  constructor(private readonly enabled: boolean) {}

  get generation(): number {
    return this.#generation;
  }

  /** The direct chat of two users who may message each other, if remembered. */
  chatOf(userA: string, userB: string): string | undefined {
    return this.#chatIds.get(directKeyOf(userA, userB));
  }

  /** Remembers that the pair may message each other, unless something changed since `generation`. */
  remember(userA: string, userB: string, chatId: string, generation: number): void {
    if (!this.enabled || generation !== this.#generation) return;
    if (this.#chatIds.size >= MAX_PAIRS) this.#chatIds.clear();
    this.#chatIds.set(directKeyOf(userA, userB), chatId);
  }

  /** Called with every batch of committed events, before they are published. */
  forgetRemoved(events: DurableEvent[]): void {
    for (const event of events) {
      if (event.type !== 'FRIEND_REMOVED') continue;
      this.#chatIds.delete(directKeyOf(event.topic.slice('user:'.length), (event.data as { userId: string }).userId));
      this.#generation++;
    }
  }
}
