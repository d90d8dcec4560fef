// A node's stream of each topic it holds: in seq order, without repeats, and without gaps.
import type { DurableEvent, ReplayResult } from './events.ts';

/**
 * With several nodes, one topic's events reach a node from different publishers: node A commits seq 5,
 * node B commits seq 6, and B's publish can overtake A's. This delivers each held topic's events in
 * seq order, drops repeats, and fills a gap from the event log: an event past a gap is committed, so
 * the ones before it are too. The same fill catches a topic up when this node starts hearing it.
 * Topics this node does not hold are passed through as they come.
 */
export class TopicOrder {
  /** Held topics → the last seq delivered. */
  readonly #last = new Map<string, number>();
  /** Topics being filled from the log → events that arrived meanwhile. */
  readonly #waiting = new Map<string, DurableEvent[]>();
  readonly #fills = new Map<string, Promise<void>>();

  constructor(
    private readonly readAfter: (topic: string, cursor: number) => Promise<ReplayResult>,
    private readonly deliver: (event: DurableEvent) => void,
  ) {}

  /** Starts a topic's stream after `lastSeq`; a topic already held keeps its place. */
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
    this.#fills.delete(topic);
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
      void this.#fill(event.topic, [event]);
      return;
    }
    this.#deliver(event);
  }

  /** Delivers what the log has past the topic's place (events this node could not hear yet); resolves when done. */
  catchUp(topic: string): Promise<void> {
    if (!this.#last.has(topic)) return Promise.resolve();
    return this.#fills.get(topic) ?? this.#fill(topic, []);
  }

  #deliver(event: DurableEvent): void {
    this.deliver(event);
    // Delivering may have made this node hold the topic (a member joining on MEMBER_ADDED).
    if (this.#last.has(event.topic)) this.#last.set(event.topic, event.seq);
  }

  #fill(topic: string, arrived: DurableEvent[]): Promise<void> {
    const waiting = [...arrived];
    this.#waiting.set(topic, waiting);
    const fill = (async () => {
      const from = this.#last.get(topic)!;
      let replay: ReplayResult;
      try {
        replay = await this.readAfter(topic, from);
      } catch {
        replay = { events: [], resyncRequired: true };
      }
      // Released meanwhile (no socket here wants the topic any more), or refilled after a release.
      if (this.#waiting.get(topic) !== waiting) return;
      this.#waiting.delete(topic);
      this.#fills.delete(topic);
      const events = [...replay.events, ...waiting].sort((a, b) => a.seq - b.seq);
      // The log no longer has the gap: deliver what came and let clients see the gap and resync.
      if (replay.resyncRequired && events.length > 0) this.#last.set(topic, events[0]!.seq - 1);
      for (const event of events) this.accept(event);
    })();
    this.#fills.set(topic, fill);
    return fill;
  }
}
