// Event names, the frame every socket receives, and the durable per-topic event log with its seqs.
import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/client.ts';
import { events, topics } from '../db/schema/index.ts';

export const DurableEventTypes = [
  'CHAT_MESSAGE_CREATED',
  'CHAT_MESSAGE_UPDATED',
  'CHAT_MESSAGE_UNSENT',
  'CHAT_MESSAGE_DELIVERED',
  'CHAT_MESSAGE_READ',
  'GROUP_MESSAGE_CREATED',
  'GROUP_MESSAGE_UPDATED',
  'GROUP_MESSAGE_UNSENT',
  'GROUP_MESSAGE_READ',
  'GROUP_UPDATED',
  'GROUP_DELETED',
  'MEMBER_ADDED',
  'MEMBER_REMOVED',
  'MEMBER_LEFT',
  'NOTIFICATION_CREATED',
  'FRIEND_REQUEST_RECEIVED',
  'FRIEND_REQUEST_ACCEPTED',
  'FRIEND_REMOVED',
  'MESSAGE_HIDDEN',
] as const;
export type DurableEventType = (typeof DurableEventTypes)[number];

/** Events that are never stored or replayed, and carry no seq. */
export type EphemeralEventType = 'PRESENCE' | 'TYPING';

/** A stored event, as sent to sockets: `{topic, seq, type, data}`. */
export interface DurableEvent {
  topic: string;
  seq: number;
  type: DurableEventType;
  data: unknown;
}

export const userTopic = (userId: string) => `user:${userId}`;
export const chatTopic = (chatId: string) => `chat:${chatId}`;
export const groupTopic = (chatId: string) => `group:${chatId}`;
export const presenceTopic = (userId: string) => `presence:${userId}`;

/** The topic of a chat's events: `chat:<id>` for direct chats, `group:<id>` for groups. */
export function topicOfChat(chat: { id: string; kind: 'direct' | 'group' }): string {
  return chat.kind === 'direct' ? chatTopic(chat.id) : groupTopic(chat.id);
}

/** CHAT_MESSAGE_… for direct chats, GROUP_MESSAGE_… for groups. */
export function messageEventType(kind: 'direct' | 'group', change: 'CREATED' | 'UPDATED' | 'UNSENT' | 'READ'): DurableEventType {
  return `${kind === 'direct' ? 'CHAT' : 'GROUP'}_MESSAGE_${change}`;
}

/** Durable topics a client may name in a resume; presence is ephemeral. */
export function isDurableTopic(topic: string): boolean {
  return /^(user|chat|group):[\w-]{1,64}$/.test(topic);
}


/**
 * Hands out seqs inside one write transaction. The write lock is held for the whole transaction, so
 * reading a topic's last seq once and counting on in memory is safe even with several nodes on one
 * database; the new last seqs and the events are written in a few statements at the end.
 */
export class EventLog {
  readonly #lastSeq = new Map<string, number>();
  #pending: (DurableEvent & { createdAt: Date })[] = [];

  constructor(private readonly tx: Transaction) {}

  /**
   * Adds an event to its topic with the next seq; it becomes visible when the transaction commits.
   * `data` may be a function of the seq, for records that carry their own (a message's seq).
   */
  async append(topic: string, type: DurableEventType, data: unknown | ((seq: number) => unknown)): Promise<DurableEvent> {
    let last = this.#lastSeq.get(topic);
    if (last === undefined) {
      const [row] = await this.tx.select({ lastSeq: topics.lastSeq }).from(topics).where(eq(topics.topic, topic));
      last = row?.lastSeq ?? 0;
    }
    const seq = last + 1;
    const event = { topic, seq, type, data: typeof data === 'function' ? data(seq) : data };
    this.#lastSeq.set(topic, event.seq);
    this.#pending.push({ ...event, createdAt: new Date() });
    return event;
  }

  /** How many events are pending: a mark to roll back to when one job of a batch fails. */
  mark(): number {
    return this.#pending.length;
  }

  /** Forgets the events appended since `mark`; seqs within a topic are contiguous, so each topic's
   * last seq goes back to just before its first forgotten event. */
  rollbackTo(mark: number): void {
    const forgotten = this.#pending.splice(mark);
    const seen = new Set<string>();
    for (const event of forgotten) {
      if (seen.has(event.topic)) continue;
      seen.add(event.topic);
      this.#lastSeq.set(event.topic, event.seq - 1);
    }
  }

  /** Writes the batch's events and new last seqs; returns them in the order they were appended. */
  async flush(): Promise<DurableEvent[]> {
    if (this.#pending.length === 0) return [];
    const written = this.#pending;
    this.#pending = [];
    // Multi-row statements: one prepare for the whole batch instead of one per event.
    for (let start = 0; start < written.length; start += 500) {
      const chunk = written.slice(start, start + 500);
      await this.tx.insert(events).values(
        chunk.map((event) => ({ topic: event.topic, seq: event.seq, type: event.type, data: JSON.stringify(event.data), createdAt: event.createdAt })),
      );
    }
    const writtenTopics = new Set(written.map((event) => event.topic));
    const touched = [...this.#lastSeq].filter(([topic]) => writtenTopics.has(topic));
    for (let start = 0; start < touched.length; start += 500) {
      await this.tx
        .insert(topics)
        .values(touched.slice(start, start + 500).map(([topic, lastSeq]) => ({ topic, lastSeq, prunedThroughSeq: 0 })))
        .onConflictDoUpdate({ target: topics.topic, set: { lastSeq: sql`excluded.last_seq` } });
    }
    return written.map(({ createdAt: _createdAt, ...event }) => event);
  }
}

export type ReplayResult = { events: DurableEvent[]; resyncRequired: false } | { events: []; resyncRequired: true };

/**
 * Every event of `topic` after `cursor`, in seq order. When retention already pruned an event the
 * client has not seen, the answer is RESYNC_REQUIRED: replaying the rest would hide a gap.
 */
export async function readEventsAfter(db: Database, topic: string, cursor: number, limit = 10_000): Promise<ReplayResult> {
  const [state] = await db.select().from(topics).where(eq(topics.topic, topic));
  if (state && cursor < state.prunedThroughSeq) return { events: [], resyncRequired: true };
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.topic, topic), gt(events.seq, cursor)))
    .orderBy(asc(events.seq))
    .limit(limit);
  return {
    resyncRequired: false,
    events: rows.map((row) => ({ topic: row.topic, seq: row.seq, type: row.type as DurableEventType, data: JSON.parse(row.data) })),
  };
}

/** Replay reads the log in pages of this many events. */
const REPLAY_PAGE = 5_000;

/** Every event of `topic` after `cursor`, page by page, so a long absence is replayed whole. */
export async function readAllEventsAfter(db: Database, topic: string, cursor: number): Promise<ReplayResult> {
  const all: DurableEvent[] = [];
  for (;;) {
    const page = await readEventsAfter(db, topic, all.at(-1)?.seq ?? cursor, REPLAY_PAGE);
    if (page.resyncRequired) return page;
    all.push(...page.events);
    if (page.events.length < REPLAY_PAGE) return { resyncRequired: false, events: all };
  }
}

/** Deletes events older than the retention window and records how far each topic was pruned. */
export async function pruneEvents(db: Database, retentionMs: number): Promise<number> {
  const cutoff = new Date(Date.now() - retentionMs);
  return db.transaction(async (tx) => {
    const pruned = await tx
      .select({ topic: events.topic, maxSeq: sql<number>`max(${events.seq})` })
      .from(events)
      .where(lt(events.createdAt, cutoff))
      .groupBy(events.topic);
    if (pruned.length === 0) return 0;
    for (const { topic, maxSeq } of pruned) {
      await tx.update(topics).set({ prunedThroughSeq: maxSeq }).where(and(eq(topics.topic, topic), lt(topics.prunedThroughSeq, maxSeq)));
    }
    const deleted = await tx.delete(events).where(and(lt(events.createdAt, cutoff), inArray(events.topic, pruned.map((row) => row.topic))));
    return deleted.rowsAffected;
  });
}
