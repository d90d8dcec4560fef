// Where presence is kept: in this process for one node, in Redis when several nodes share the users.
import type { RedisClient } from 'bun';

export interface PresenceRegistry {
  /** This node has the user now; true when no node had them (they just came online). */
  add(userId: string): Promise<boolean>;
  /** This node no longer has the user; true when no node has them any more (they just went offline). */
  remove(userId: string): Promise<boolean>;
  onlineAmong(userIds: string[]): Promise<Set<string>>;
  stop(): void;
}

export function createLocalPresenceRegistry(): PresenceRegistry {
  const online = new Set<string>();
  return {
    async add(userId) {
      const first = !online.has(userId);
      online.add(userId);
      return first;
    },
    async remove(userId) {
      return online.delete(userId);
    },
    async onlineAmong(userIds) {
      return new Set(userIds.filter((userId) => online.has(userId)));
    },
    stop() {},
  };
}

/** A node's claims live this long unless renewed, so a node that dies stops counting within it. */
const CLAIM_TTL_MS = 45_000;
const RENEW_EVERY_MS = 15_000;
const keyOf = (userId: string) => `chat-api:presence:${userId}`;

/**
 * One hash per online user: node id → until when that node's claim holds. Adding or removing a claim
 * and checking the others' is one script, so two nodes cannot both miss each other.
 */
const CLAIM_SCRIPT = `
local others = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= ARGV[1] and tonumber(fields[i + 1]) > tonumber(ARGV[2]) then others = others + 1 end
end
if ARGV[3] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return others`;

export function createRedisPresenceRegistry(redis: RedisClient, nodeId: string): PresenceRegistry {
  const here = new Set<string>();
  const claim = async (userId: string, until: number): Promise<number> =>
    Number(await redis.send('EVAL', [CLAIM_SCRIPT, '1', keyOf(userId), nodeId, String(Date.now()), String(until), String(CLAIM_TTL_MS)]));
  const renew = setInterval(() => {
    const until = Date.now() + CLAIM_TTL_MS;
    for (const userId of here) void claim(userId, until).catch(() => {});
  }, RENEW_EVERY_MS);
  return {
    async add(userId) {
      here.add(userId);
      return (await claim(userId, Date.now() + CLAIM_TTL_MS)) === 0;
    },
    async remove(userId) {
      here.delete(userId);
      return (await claim(userId, 0)) === 0;
    },
    async onlineAmong(userIds) {
      const now = Date.now();
      const claims = await Promise.all(userIds.map((userId) => redis.hvals(keyOf(userId))));
      return new Set(userIds.filter((_, index) => claims[index]!.some((until) => Number(until) > now)));
    },
    stop() {
      clearInterval(renew);
    },
  };
}
