// Event names, the frame every socket receives, and the durable per-topic event log with its seqs.
import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/client.ts';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
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
 * Topics' last seqs as this node's writer last committed them, so a batch need not read them back: one
 * SELECT less per event. Valid only while nobody else writes the database, which a local file tells:
 * its `PRAGMA data_version` changes when another connection (another node, a tool) commits, and then
 * the cache starts over. A remote database (Turso) gets no cache.
 */
export class SeqCache {
  #seqs = new Map<string, number>();
  #dataVersion: unknown = undefined;

  constructor(private readonly enabled: boolean) {}

  /** Called first in each batch's transaction, once it holds the write lock. */
  async check(tx: Transaction): Promise<void> {
    if (!this.enabled) return;
    const [row] = await tx.all<{ data_version: number }>(sql`PRAGMA data_version`);
    if (row?.data_version === this.#dataVersion && this.#seqs.size < MAX_CACHED_TOPICS) return;
    this.#seqs.clear();
    this.#dataVersion = row?.data_version;
  }

  get(topic: string): number | undefined {
    return this.#seqs.get(topic);
  }

  /** After a commit: the batch's topics and their new last seqs. */
  remember(lastSeqs: Iterable<[string, number]>): void {
    if (this.enabled) for (const [topic, seq] of lastSeqs) this.#seqs.set(topic, seq);
  }
}

/** The seq cache starts over past this many topics, to bound its memory. */
const MAX_CACHED_TOPICS = 200_000;

/**
 * Hands out seqs inside one write transaction. The write lock is held for the whole transaction, so
 * reading a topic's last seq once and counting on in memory is safe even with several nodes on one
 * database; the new last seqs and the events are written in a few statements at the end.
 */
export class EventLog {
  readonly #lastSeq = new Map<string, number>();
  #pending: (DurableEvent & { createdAt: Date })[] = [];
  #rows = new Map<SQLiteTable, unknown[]>();

  constructor(
    private readonly tx: Transaction,
    private readonly cache: SeqCache,
  ) {}

  /**
   * Adds an event to its topic with the next seq; it becomes visible when the transaction commits.
   * `data` may be a function of the seq, for records that carry their own (a message's seq).
   */
  async append(topic: string, type: DurableEventType, data: unknown | ((seq: number) => unknown)): Promise<DurableEvent> {
    let last = this.#lastSeq.get(topic) ?? this.cache.get(topic);
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

  /**
   * Queues a row to be inserted with the batch, one multi-row statement per table, so the hot path (a
   * message per send) costs one statement per batch rather than one per job. A row that breaks a
   * constraint fails the optimistic batch; the isolated rerun writes each job's rows in its own
   * savepoint (`writeRows`), so only that job fails.
   */
  insertLater<Table extends SQLiteTable>(table: Table, row: Table['$inferInsert']): void {
    let rows = this.#rows.get(table);
    if (!rows) this.#rows.set(table, (rows = []));
    rows.push(row);
  }

  /** Inserts the queued rows. */
  async writeRows(tx: Transaction): Promise<void> {
    const queued = this.#rows;
    this.#rows = new Map();
    for (const [table, rows] of queued) {
      for (let start = 0; start < rows.length; start += 500) await tx.insert(table).values(rows.slice(start, start + 500) as never);
    }
  }

  /** How many events are pending: a mark to roll back to when one job of a batch fails. */
  mark(): number {
    return this.#pending.length;
  }

  /**
   * Forgets what the failed job since `mark` queued: its events (seqs within a topic are contiguous, so
   * each topic's last seq goes back to just before its first forgotten event) and its rows.
   */
  rollbackTo(mark: number): void {
    this.#rows = new Map();
    const forgotten = this.#pending.splice(mark);
    const seen = new Set<string>();
    for (const event of forgotten) {
      if (seen.has(event.topic)) continue;
      seen.add(event.topic);
      this.#lastSeq.set(event.topic, event.seq - 1);
    }
  }

  /** The batch's topics and their last seqs, once written (for the cache). */
  lastSeqs(): Iterable<[string, number]> {
    return this.#lastSeq;
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
