// Sessions: a refresh-token family per login, rotated on every use, revoked whole when a rotated token comes back.
import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { refreshTokens } from '../../db/schema/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { AuthErrors } from './errors.ts';
import type { TokenSigner } from './tokens.ts';

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

interface SessionDependencies {
  db: Database;
  tokens: TokenSigner;
  config: { refreshTokenTtl: number };
}

async function issueTokens(deps: SessionDependencies, userId: string, familyId: string): Promise<SessionTokens> {
  const refreshToken = randomToken();
  const now = new Date();
  await deps.db.insert(refreshTokens).values({
    id: newId(),
    userId,
    familyId,
    tokenHash: hashToken(refreshToken),
    expiresAt: new Date(now.getTime() + deps.config.refreshTokenTtl),
    createdAt: now,
  });
  const accessToken = await deps.tokens.signAccess({ userId, sessionId: familyId });
  return { accessToken, refreshToken, expiresIn: deps.tokens.accessTtlSeconds };
}

/** A new session (a new family) for a user who just proved who they are. */
export function startSession(deps: SessionDependencies, userId: string): Promise<SessionTokens> {
  return issueTokens(deps, userId, newId());
}

const invalidRefresh = () => new AppError(401, AuthErrors.invalidRefreshToken, 'The refresh token is invalid, expired or revoked');

/**
 * Trades a refresh token for a new pair. The old token is marked rotated in the same statement that
 * checks it, so two concurrent uses cannot both win; a token already rotated means it leaked (or a
 * client replayed it), and the whole family is revoked.
 */
export async function rotateSession(deps: SessionDependencies, refreshToken: string): Promise<SessionTokens> {
  const now = new Date();
  const tokenHash = hashToken(refreshToken);
  const [current] = await deps.db
    .update(refreshTokens)
    .set({ rotatedAt: now })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt)))
    .returning();
  if (!current) {
    const [known] = await deps.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
    if (known?.rotatedAt) await revokeFamily(deps.db, known.familyId);
    throw invalidRefresh();
  }
  if (current.expiresAt <= now) throw invalidRefresh();
  return issueTokens(deps, current.userId, current.familyId);
}

export async function revokeFamily(db: Database, familyId: string): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/** Ends the session a refresh token belongs to; an unknown token is already as good as ended. */
export async function endSession(db: Database, refreshToken: string): Promise<void> {
  const [known] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashToken(refreshToken)));
  if (known) await revokeFamily(db, known.familyId);
}

/** Ends every session of a user (password reset). */
export async function endAllSessions(db: Database, userId: string): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}
