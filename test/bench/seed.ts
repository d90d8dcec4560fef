// Seeds a benchmark database through the app's own services and tables: verified users (alone, in friend
// pairs or in groups) with their tokens, and direct-message history; plus the benchmarks' measuring helpers.
import { loadConfig } from '../../src/config.ts';
import { createDependencies } from '../../src/app.ts';
import { openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { messages, topics, users } from '../../src/db/schema/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { directKeyOf } from '../../src/modules/chats/service.ts';
import { acceptFriendRequest, addFriend } from '../../src/modules/friends/service.ts';
import { createGroup } from '../../src/modules/groups/service.ts';
import type { MessageRow } from '../../src/modules/messages/service.ts';
import { chatTopic } from '../../src/realtime/events.ts';
import { openNativeDatabase, prepareInsert } from './native-insert.ts';

export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
/** The password of every seeded user. */
export const BENCH_PASSWORD = 'bench-password';

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

/** The email of the `index`-th seeded user. */
export const benchEmail = (index: number) => `bench${index}@example.com`;

/** Inserts `count` verified users, 1,000 a statement (signup is not what is measured), and returns their ids. */
async function insertUsers({ deps }: Seeder, count: number): Promise<string[]> {
  const passwordHash = await Bun.password.hash(BENCH_PASSWORD, { algorithm: 'argon2id' });
  const now = new Date();
  const ids = Array.from({ length: count }, () => newId());
  for (let start = 0; start < count; start += 1_000) {
    await deps.db.insert(users).values(
      ids.slice(start, start + 1_000).map((id, offset) => ({
        id,
        username: `bench${start + offset}`,
        email: benchEmail(start + offset),
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

/** Creates `count` verified users with no friends (user `index` has the email `benchEmail(index)`) and signs an access token for each. */
export async function seedUsers(dataDir: string, count: number): Promise<{ id: string; token: string }[]> {
  const seeder = await openSeeder(dataDir);
  const ids = await insertUsers(seeder, count);
  const seeded = await Promise.all(ids.map(async (id) => ({ id, token: await tokenOf(seeder, id) })));
  await seeder.close();
  return seeded;
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

/** Rows a multi-row INSERT of messages takes: 12 columns each, within SQLite's 32,766 bound variables. */
const MESSAGES_PER_INSERT = 1_000;
/** Messages a transaction commits: large transactions, since seeding needs no per-message durability. */
const MESSAGES_PER_TRANSACTION = 50_000;

/**
 * Stores `count` messages in fresh direct chats of friend pairs as sending them would leave them for
 * history: the message rows, and each chat topic's last seq. Not their CREATED events: history never
 * reads them, and they would double the seeding time. Message `index` (oldest first, one every 10 ms
 * up to now) goes to the chat of `pairs[pairOf(index)]`, from its two users in turn. Returns the
 * number of messages per pair.
 */
export function seedDirectMessages(dataDir: string, pairs: SeededUser[], count: number, pairOf: (index: number) => number): number[] {
  const db = openNativeDatabase(dataDir);
  const findChat = db.prepare('SELECT id FROM chats WHERE direct_key = ?');
  const chatIds = pairs.map((pair) => (findChat.get(directKeyOf(pair.id, pair.friendId)) as { id: string }).id);
  const lastSeqs = pairs.map(() => 0);
  const firstAt = Date.now() - count * 10;
  const rowOf = (index: number): MessageRow => {
    const pair = pairOf(index);
    const seq = ++lastSeqs[pair]!;
    return {
      id: newId(),
      chatId: chatIds[pair]!,
      seq,
      senderId: seq % 2 === 0 ? pairs[pair]!.id : pairs[pair]!.friendId,
      text: `message ${seq} of a long conversation`,
      attachments: [],
      replyToId: null,
      mentions: [],
      clientMessageId: `seed-${seq}`,
      createdAt: new Date(firstAt + index * 10),
      editedAt: null,
      unsentAt: null,
    };
  };
  const insertFullChunk = prepareInsert(db, messages, MESSAGES_PER_INSERT);
  db.exec('BEGIN');
  for (let chunk = 0; chunk < count; chunk += MESSAGES_PER_INSERT) {
    if (chunk > 0 && chunk % MESSAGES_PER_TRANSACTION === 0) db.exec('COMMIT; BEGIN');
    const rows = Array.from({ length: Math.min(MESSAGES_PER_INSERT, count - chunk) }, (_, offset) => rowOf(chunk + offset));
    (rows.length === MESSAGES_PER_INSERT ? insertFullChunk : prepareInsert(db, messages, rows.length))(rows);
  }
  // So the server's next message in a seeded chat takes the next seq.
  prepareInsert(db, topics, pairs.length)(chatIds.map((chatId, pair) => ({ topic: chatTopic(chatId), lastSeq: lastSeqs[pair]!, prunedThroughSeq: 0 })));
  db.exec('COMMIT');
  db.close();
  return lastSeqs;
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
