import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { eq, like } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/db/client.ts';
import { createGroupCommitWriter, type GroupCommitWriter } from '../src/db/group-commit.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { events, topics } from '../src/db/schema/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import type { DurableEvent } from '../src/realtime/events.ts';
import { makeTempDir } from './helpers/server.ts';

const dir = makeTempDir();
let db: Database;
let writer: GroupCommitWriter;
const published: DurableEvent[] = [];

beforeAll(async () => {
  db = await openDatabase({ databaseUrl: `file:${join(dir, 'chat.db')}`, databaseAuthToken: '' });
  await migrateDatabase(db.$client);
  writer = createGroupCommitWriter(db, createLogger('silent'), (batch) => published.push(...batch));
});
afterAll(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const storedSeqs = async (topic: string) => (await db.select().from(events).where(eq(events.topic, topic))).map((row) => [row.seq, JSON.parse(row.data)]);

describe('group commit', () => {
  it('commits a batch in which one job fails: the others keep contiguous seqs, the failed one stores nothing', async () => {
    const topic = 'user:batch';
    // Queued in one turn, so they share one batch.
    const writes = [1, 2, 3, 4, 5].map((index) =>
      writer.write(async (tx, log) => {
        await log.append(topic, 'MESSAGE_HIDDEN', { index });
        // A write that must vanish with the failed job, then the failure.
        if (index === 3) {
          await tx.insert(topics).values({ topic: 'user:ghost', lastSeq: 9, prunedThroughSeq: 0 });
          throw new Error('job 3 fails');
        }
        return index;
      }),
    );
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.result : (outcome.reason as Error).message))).toEqual([1, 2, 'job 3 fails', 4, 5]);
    expect(await storedSeqs(topic)).toEqual([
      [1, { index: 1 }],
      [2, { index: 2 }],
      [3, { index: 4 }],
      [4, { index: 5 }],
    ]);
    expect(await db.select().from(topics).where(eq(topics.topic, 'user:ghost'))).toEqual([]);
    // Each caller gets its own events; subscribers get them all, in seq order.
    expect(outcomes[3]!.status === 'fulfilled' && outcomes[3]!.value.events.map((event) => event.seq)).toEqual([3]);
    expect(published.filter((event) => event.topic === topic).map((event) => event.seq)).toEqual([1, 2, 3, 4]);
  });

  it('fails only the job whose queued row breaks a constraint, though rows are written for the whole batch at once', async () => {
    const topic = 'user:rows';
    const writes = ['user:row-a', 'user:row-b', 'user:row-a', 'user:row-c'].map((rowTopic, index) =>
      writer.write(async (_tx, log) => {
        await log.append(topic, 'MESSAGE_HIDDEN', { index });
        // The third repeats the first one's primary key.
        log.insertLater(topics, { topic: rowTopic, lastSeq: index, prunedThroughSeq: 0 });
        return index;
      }),
    );
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[2] as PromiseRejectedResult).reason.cause)).toMatch(/UNIQUE constraint/);
    expect(await storedSeqs(topic)).toEqual([
      [1, { index: 0 }],
      [2, { index: 1 }],
      [3, { index: 3 }],
    ]);
    const rows = await db.select({ topic: topics.topic, lastSeq: topics.lastSeq }).from(topics).where(like(topics.topic, 'user:row-%')).orderBy(topics.topic);
    expect(rows).toEqual([
      { topic: 'user:row-a', lastSeq: 0 },
      { topic: 'user:row-b', lastSeq: 1 },
      { topic: 'user:row-c', lastSeq: 3 },
    ]);
  });

  it('rejects a lone failing job and stores nothing of it', async () => {
    const failing = writer.write(async (tx, log) => {
      await log.append('user:lone', 'MESSAGE_HIDDEN', {});
      await tx.insert(topics).values({ topic: 'user:lone-row', lastSeq: 1, prunedThroughSeq: 0 });
      throw new Error('alone');
    });
    await expect(failing).rejects.toThrow('alone');
    await writer.drain();
    expect(await storedSeqs('user:lone')).toEqual([]);
    expect(await db.select().from(topics).where(eq(topics.topic, 'user:lone-row'))).toEqual([]);
    // The topic's next event still gets seq 1.
    const { events: appended } = await writer.write(async (_tx, log) => void (await log.append('user:lone', 'MESSAGE_HIDDEN', {})));
    expect(appended.map((event) => event.seq)).toEqual([1]);
  });
});
