// Periodic clean-up: events past retention, and expired tokens and challenges nobody can use any more.
import { lt, or, isNotNull } from 'drizzle-orm';
import type { Logger } from '../lib/logger.ts';
import { pruneEvents } from '../realtime/events.ts';
import type { Database } from './client.ts';
import { emailTokens, refreshTokens, webauthnChallenges } from './schema/index.ts';

const EVERY_MS = 10 * 60_000;

export async function runHousekeeping(db: Database, eventRetentionMs: number): Promise<{ events: number; tokens: number }> {
  const now = new Date();
  const events = await pruneEvents(db, eventRetentionMs);
  const [refresh, email, challenges] = await db.batch([
    db.delete(refreshTokens).where(or(lt(refreshTokens.expiresAt, now), isNotNull(refreshTokens.revokedAt))),
    db.delete(emailTokens).where(lt(emailTokens.expiresAt, now)),
    db.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, now)),
  ]);
  return { events, tokens: refresh.rowsAffected + email.rowsAffected + challenges.rowsAffected };
}

/** Runs housekeeping now and every ten minutes; returns a function that stops it. */
export function scheduleHousekeeping(db: Database, eventRetentionMs: number, log: Logger): () => void {
  const run = async () => {
    try {
      const removed = await runHousekeeping(db, eventRetentionMs);
      if (removed.events + removed.tokens > 0) log.info('housekeeping', removed);
    } catch (error) {
      log.warn('housekeeping failed', { error: error instanceof Error ? error.message : String(error) });
    }
  };
  void run();
  const timer = setInterval(run, EVERY_MS);
  return () => clearInterval(timer);
}
