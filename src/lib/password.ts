// Password hashing with argon2id (Bun.password, on its worker threads), a few at a time and in arrival
// order: a login storm queues here instead of taking every core from the event loop, and no request
// waits behind ones that came after it.
import { availableParallelism } from 'node:os';

/** Hashes run at once: one core is always left to the event loop. */
const SLOTS = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

async function inTurn<Result>(work: () => Promise<Result>): Promise<Result> {
  if (running < SLOTS) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    // The slot passes straight to the longest waiter.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return inTurn(() => Bun.password.hash(password, { algorithm: 'argon2id' }));
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return inTurn(() => Bun.password.verify(password, hash));
}
