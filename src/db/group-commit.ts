// Group commit: concurrent writes share one transaction (one fsync), and each is acknowledged only after it.
import type { Database, Transaction } from './client.ts';
import type { Logger } from '../lib/logger.ts';
import { EventLog, type DurableEvent } from '../realtime/events.ts';


/** A unit of work: its statements run inside the batch's transaction, its events get seqs from `log`. */
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

/**
 * One writer per node. Jobs queue while a batch commits; the next batch takes them all. Each job runs
 * in a savepoint, so a failing job (a constraint, a bad input) is rolled back alone and rejects alone.
 * `publish` gets the committed events in seq order before the jobs' callers hear back.
 */
export function createGroupCommitWriter(db: Database, log: Logger, publish: (events: DurableEvent[]) => void): GroupCommitWriter {
  let queue: QueuedJob[] = [];
  let running: Promise<void> | null = null;

  async function runBatch(batch: QueuedJob[]): Promise<void> {
    // Each job's events are appended contiguously: [from, to) into the batch's committed events.
    const outcomes: ({ ok: true; result: unknown; from: number; to: number } | { ok: false; error: unknown })[] = [];
    let committed: DurableEvent[] = [];
    try {
      committed = await db.transaction(async (tx) => {
        const eventLog = new EventLog(tx);
        for (const { job } of batch) {
          const mark = eventLog.mark();
          try {
            const result = await tx.transaction((savepoint) => job(savepoint, eventLog));
            outcomes.push({ ok: true, result, from: mark, to: eventLog.mark() });
          } catch (error) {
            eventLog.rollbackTo(mark);
            outcomes.push({ ok: false, error });
          }
        }
        return eventLog.flush();
      });
    } catch (error) {
      // The commit itself failed (disk, lock timeout): nothing of the batch is stored.
      log.error('group commit failed', { jobs: batch.length, error: error instanceof Error ? error.message : String(error) });
      for (const queued of batch) queued.reject(error);
      return;
    }
    publish(committed);
    batch.forEach((queued, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) queued.resolve({ result: outcome.result, events: committed.slice(outcome.from, outcome.to) });
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
