// Seeds a benchmark database through the app's own services: verified users in friend pairs, and their tokens.
import { loadConfig } from '../../src/config.ts';
import { createDependencies } from '../../src/app.ts';
import { openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { users } from '../../src/db/schema/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { acceptFriendRequest, addFriend } from '../../src/modules/friends/service.ts';
import { createGroup } from '../../src/modules/groups/service.ts';

export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface SeededUser {
  id: string;
  token: string;
  /** The user it is friends with (users are paired 0-1, 2-3, …). */
  friendId: string;
}

/** The app's services on a fresh benchmark database, to seed it the way the API would. */
async function openSeeder(dataDir: string) {
  const config = loadConfig([], { DATA_DIR: dataDir, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'silent', ACCESS_TOKEN_TTL: '12h' });
  const db = await openDatabase(config);
  await migrateDatabase(db.$client);
  const deps = await createDependencies(config, db, createLogger('silent'));
  return {
    deps,
    async close() {
      await deps.writer.drain();
      db.$client.close();
    },
  };
}

type Seeder = Awaited<ReturnType<typeof openSeeder>>;

/** Inserts `count` verified users in one statement (signup is not what is measured) and returns their ids. */
async function insertUsers({ deps }: Seeder, count: number): Promise<string[]> {
  const passwordHash = await Bun.password.hash('bench-password', { algorithm: 'argon2id' });
  const now = new Date();
  const ids = Array.from({ length: count }, () => newId());
  for (let start = 0; start < count; start += 1_000) {
    await deps.db.insert(users).values(
      ids.slice(start, start + 1_000).map((id, offset) => ({
        id,
        username: `bench${start + offset}`,
        email: `bench${start + offset}@example.com`,
        passwordHash,
        emailVerifiedAt: now,
        createdAt: now,
        updatedAt: now,
      })),
    );
  }
  return ids;
}

/** Makes two users friends the way the API does (a request, then its acceptance). */
async function befriend({ deps }: Seeder, a: string, b: string): Promise<void> {
  const added = await addFriend(deps, a, { userId: b });
  if (added.outcome !== 'requested') throw new Error('unexpected crossing request');
  await acceptFriendRequest(deps, b, added.request.id);
}

function tokenOf({ deps }: Seeder, userId: string): Promise<string> {
  return deps.tokens.signAccess({ userId, sessionId: 'bench' });
}

/** Creates `count` verified users (count even), befriends them in pairs, and signs an access token for each. */
export async function seedFriendPairs(dataDir: string, count: number): Promise<SeededUser[]> {
  const seeder = await openSeeder(dataDir);
  const ids = await insertUsers(seeder, count);
  const seeded: SeededUser[] = [];
  for (let index = 0; index < count; index += 2) {
    const [a, b] = [ids[index]!, ids[index + 1]!];
    await befriend(seeder, a, b);
    seeded.push({ id: a, friendId: b, token: await tokenOf(seeder, a) }, { id: b, friendId: a, token: await tokenOf(seeder, b) });
  }
  await seeder.close();
  return seeded;
}

export interface SeededGroup {
  id: string;
  members: { id: string; token: string }[];
}

/** Creates `groupCount` groups of `memberCount` users each: the first member befriends the others and creates the group. */
export async function seedGroups(dataDir: string, groupCount: number, memberCount: number): Promise<SeededGroup[]> {
  const seeder = await openSeeder(dataDir);
  const ids = await insertUsers(seeder, groupCount * memberCount);
  const groups: SeededGroup[] = [];
  for (let index = 0; index < groupCount; index++) {
    const [creator, ...others] = ids.slice(index * memberCount, (index + 1) * memberCount);
    // Concurrent, so group commit batches them as it would a crowd of users.
    await Promise.all(others.map((other) => befriend(seeder, creator!, other)));
    const group = await createGroup(seeder.deps, creator!, { name: `bench group ${index}`, memberIds: others });
    const members = await Promise.all([creator!, ...others].map(async (id) => ({ id, token: await tokenOf(seeder, id) })));
    groups.push({ id: group.id, members });
  }
  await seeder.close();
  return groups;
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

/** CPU seconds (user + system) a process has used so far, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Bun.file(`/proc/${pid}/stat`).text()).split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The measured window of a benchmark: `setMeasuring(true)`, `seconds` of load, `setMeasuring(false)`;
 * returns its length and the server's memory and CPU use (of one core: 200% is both of two) over it.
 */
export async function measureWindow(serverPid: number, seconds: number, setMeasuring: (on: boolean) => void) {
  setMeasuring(true);
  const started = performance.now();
  const cpuAtStart = await cpuSeconds(serverPid);
  await Bun.sleep(seconds * 1_000);
  setMeasuring(false);
  const elapsed = (performance.now() - started) / 1_000;
  return {
    elapsed,
    serverRssMb: await rssMb(serverPid),
    serverCpuPercent: Math.round((((await cpuSeconds(serverPid)) - cpuAtStart) / elapsed) * 100),
  };
}
