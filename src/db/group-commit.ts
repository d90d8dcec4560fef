// Group commit: concurrent writes share one transaction (one fsync), and each is acknowledged only after it.
import type { Database, Transaction } from './client.ts';
import type { Logger } from '../lib/logger.ts';
import { EventLog, SeqCache, type DurableEvent } from '../realtime/events.ts';


/**
 * A unit of work: its statements run inside the batch's transaction, its events get seqs from `log`. It may
 * run twice (see createGroupCommitWriter), so it must touch nothing but `tx` and `log`.
 */
export type WriteJob<Result> = (tx: Transaction, log: EventLog) => Promise<Result>;

interface QueuedJob {
  job: WriteJob<unknown>;
  resolve(value: { result: unknown; events: DurableEvent[] }): void;
  reject(error: unknown): void;
}

/** Most jobs one transaction takes: bounds how long one batch holds the write lock. */
const MAX_BATCH = 1_000;

export interface GroupCommitWriter {
  /** Runs `job` in the next batch; resolves after the batch committed (durable) and its events were published. */
  write<Result>(job: WriteJob<Result>): Promise<{ result: Result; events: DurableEvent[] }>;
  /** Resolves when every queued job has committed (graceful shutdown). */
  drain(): Promise<void>;
}

/** Thrown out of an optimistic batch when one of its jobs fails: the batch rolls back and runs again, isolated. */
class JobFailed extends Error {
  constructor(readonly jobError: unknown) {
    super('a job of an optimistic batch failed');
  }
}

type Outcome = { ok: true; result: unknown; from: number; to: number } | { ok: false; error: unknown };

/**
 * One writer per node. Jobs queue while a batch commits; the next batch takes them all. A batch first
 * runs optimistically, its jobs straight in one transaction. If a job fails (a constraint, a bad
 * input), the batch rolls back and runs again with each job in its own savepoint, so the failing job
 * is rolled back alone and rejects alone. Failures are rare, and savepoints cost two statements a
 * job, so this is the cheaper way to the same outcome; it means a job may run twice, so a job must
 * only touch `tx` and `log`. `publish` gets the committed events in seq order before the jobs'
 * callers hear back.
 */
export function createGroupCommitWriter(db: Database, log: Logger, publish: (events: DurableEvent[]) => void): GroupCommitWriter {
  let queue: QueuedJob[] = [];
  let running: Promise<void> | null = null;
  const seqCache = new SeqCache(db.$client.protocol === 'file');

  /** Runs the jobs in one transaction; each job's events are appended contiguously: [from, to). */
  async function commit(batch: QueuedJob[], isolated: boolean): Promise<{ committed: DurableEvent[]; outcomes: Outcome[] }> {
    const outcomes: Outcome[] = [];
    let eventLog!: EventLog;
    const committed = await db.transaction(async (tx) => {
      await seqCache.check(tx);
      eventLog = new EventLog(tx, seqCache);
      for (const { job } of batch) {
        const mark = eventLog.mark();
        try {
          const result = isolated
            ? await tx.transaction(async (savepoint) => {
                const result = await job(savepoint, eventLog);
                await eventLog.writeRows(savepoint);
                return result;
              })
            : await job(tx, eventLog);
          outcomes.push({ ok: true, result, from: mark, to: eventLog.mark() });
        } catch (error) {
          if (!isolated) throw new JobFailed(error);
          eventLog.rollbackTo(mark);
          outcomes.push({ ok: false, error });
        }
      }
      if (!isolated) {
        try {
          await eventLog.writeRows(tx);
        } catch (error) {
          // Some job's row broke a constraint; which one, the isolated rerun finds out.
          throw new JobFailed(error);
        }
      }
      return eventLog.flush();
    });
    seqCache.remember(eventLog.lastSeqs());
    return { committed, outcomes };
  }

  async function runBatch(batch: QueuedJob[]): Promise<void> {
    let done: { committed: DurableEvent[]; outcomes: Outcome[] };
    try {
      try {
        done = await commit(batch, false);
      } catch (error) {
        if (!(error instanceof JobFailed)) throw error;
        // A batch of one has nothing to isolate: its job failed and nothing was stored.
        if (batch.length === 1) {
          batch[0]!.reject(error.jobError);
          return;
        }
        done = await commit(batch, true);
      }
    } catch (error) {
      // The commit itself failed (disk, lock timeout): nothing of the batch is stored.
      log.error('group commit failed', { jobs: batch.length, error: error instanceof Error ? error.message : String(error) });
      for (const queued of batch) queued.reject(error);
      return;
    }
    publish(done.committed);
    batch.forEach((queued, index) => {
      const outcome = done.outcomes[index]!;
      if (outcome.ok) queued.resolve({ result: outcome.result, events: done.committed.slice(outcome.from, outcome.to) });
      else queued.reject(outcome.error);
    });
  }

  async function loop(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      await runBatch(batch);
    }
    running = null;
  }

  return {
    write<Result>(job: WriteJob<Result>) {
      return new Promise<{ result: Result; events: DurableEvent[] }>((resolve, reject) => {
        queue.push({ job, resolve: resolve as QueuedJob['resolve'], reject });
        // Start on the next turn, so every write that arrived in this one joins the first batch.
        running ??= new Promise<void>((started) => setImmediate(started)).then(loop);
      });
    },
    async drain() {
      while (running) await running;
    },
  };
}
