// Single-use, expiring tokens for the links we email (confirm address, reset password).
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { emailTokens } from '../../db/schema/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { newId } from '../../lib/ids.ts';

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

export const EMAIL_TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  reset_password: 3_600_000,
};

/** Stores the token's hash and returns the token itself, which only the email will carry. */
export async function createEmailToken(db: Database, userId: string, purpose: EmailTokenPurpose): Promise<string> {
  const token = randomToken();
  const now = Date.now();
  await db.insert(emailTokens).values({
    id: newId(),
    userId,
    purpose,
    tokenHash: hashToken(token),
    expiresAt: new Date(now + EMAIL_TOKEN_TTL_MS[purpose]),
    createdAt: new Date(now),
  });
  return token;
}

/** Marks the token used and returns its user, in one statement so it works exactly once; null if unusable. */
export async function consumeEmailToken(db: Database, token: string, purpose: EmailTokenPurpose): Promise<string | null> {
  const now = new Date();
  const [used] = await db
    .update(emailTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(emailTokens.tokenHash, hashToken(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, now),
      ),
    )
    .returning({ userId: emailTokens.userId });
  return used?.userId ?? null;
}
