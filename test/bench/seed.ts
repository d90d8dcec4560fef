// Seeds a benchmark database through the app's own services: verified users in friend pairs, and their tokens.
import { loadConfig } from '../../src/config.ts';
import { createDependencies } from '../../src/app.ts';
import { openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { users } from '../../src/db/schema/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { acceptFriendRequest, addFriend } from '../../src/modules/friends/service.ts';

export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface SeededUser {
  id: string;
  token: string;
  /** The user it is friends with (users are paired 0-1, 2-3, …). */
  friendId: string;
}

/** Creates `count` verified users (count even), befriends them in pairs, and signs an access token for each. */
export async function seedFriendPairs(dataDir: string, count: number): Promise<SeededUser[]> {
  const config = loadConfig([], { DATA_DIR: dataDir, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'silent', ACCESS_TOKEN_TTL: '12h' });
  const db = await openDatabase(config);
  await migrateDatabase(db.$client);
  const deps = createDependencies(config, db, createLogger('silent'));
  const passwordHash = await Bun.password.hash('bench-password', { algorithm: 'argon2id' });
  const now = new Date();
  const ids = Array.from({ length: count }, () => newId());
  await db.insert(users).values(
    ids.map((id, index) => ({
      id,
      username: `bench${index}`,
      email: `bench${index}@example.com`,
      passwordHash,
      emailVerifiedAt: now,
      createdAt: now,
      updatedAt: now,
    })),
  );
  const seeded: SeededUser[] = [];
  for (let index = 0; index < count; index += 2) {
    const [a, b] = [ids[index]!, ids[index + 1]!];
    const added = await addFriend(deps, a, { userId: b });
    if (added.outcome !== 'requested') throw new Error('unexpected crossing request');
    await acceptFriendRequest(deps, b, added.request.id);
    seeded.push({ id: a, friendId: b, token: '' }, { id: b, friendId: a, token: '' });
  }
  for (const user of seeded) user.token = await deps.tokens.signAccess({ userId: user.id, sessionId: 'bench' });
  await deps.writer.drain();
  db.$client.close();
  return seeded;
}

/** p-th percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Resident memory of a process in MB, from /proc. */
export async function rssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}
