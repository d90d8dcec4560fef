// Puts a topic's events back in seq order on a node that hears them from several publishers.
import type { DurableEvent, ReplayResult } from './events.ts';

/**
 * With several nodes, one topic's events reach a node from different publishers: node A commits seq 5,
 * node B commits seq 6, and B's publish can overtake A's. This delivers each held topic's events in
 * seq order, drops repeats, and fills a gap from the event log: an event past a gap is committed, so
 * the ones before it are too. Topics this node does not hold are passed through as they come.
 */
export class TopicOrder {
  /** Held topics → the last seq delivered. */
  readonly #last = new Map<string, number>();
  /** Topics with a gap being filled → events that arrived meanwhile. */
  readonly #waiting = new Map<string, DurableEvent[]>();

  constructor(
    private readonly readAfter: (topic: string, cursor: number) => Promise<ReplayResult>,
    private readonly deliver: (event: DurableEvent) => void,
  ) {}

  /** Starts ordering a topic from `lastSeq`, the newest seq already accounted for; kept if already held. */
  hold(topic: string, lastSeq: number): void {
    if (!this.#last.has(topic)) this.#last.set(topic, lastSeq);
  }

  /** The last seq delivered on a held topic. */
  lastOf(topic: string): number | undefined {
    return this.#last.get(topic);
  }

  release(topic: string): void {
    this.#last.delete(topic);
    this.#waiting.delete(topic);
  }

  accept(event: DurableEvent): void {
    const waiting = this.#waiting.get(event.topic);
    if (waiting) {
      waiting.push(event);
      return;
    }
    const last = this.#last.get(event.topic);
    if (last !== undefined && event.seq <= last) return;
    if (last !== undefined && event.seq > last + 1) {
      this.#waiting.set(event.topic, [event]);
      void this.#fill(event.topic, last);
      return;
    }
    this.#deliver(event);
  }

  #deliver(event: DurableEvent): void {
    this.deliver(event);
    // Delivering may have made this node hold the topic (a member joining on MEMBER_ADDED).
    if (this.#last.has(event.topic)) this.#last.set(event.topic, event.seq);
  }

  async #fill(topic: string, last: number): Promise<void> {
    let replay: ReplayResult;
    try {
      replay = await this.readAfter(topic, last);
    } catch {
      replay = { events: [], resyncRequired: true };
    }
    const waiting = this.#waiting.get(topic);
    // Released meanwhile: no socket here wants the topic any more.
    if (!waiting) return;
    this.#waiting.delete(topic);
    const events = [...replay.events, ...waiting].sort((a, b) => a.seq - b.seq);
    if (replay.resyncRequired) {
      // The log no longer has the gap: deliver what came and let clients see the gap and resync.
      this.#last.set(topic, events[0]!.seq - 1);
    }
    for (const event of events) this.accept(event);
  }
}
