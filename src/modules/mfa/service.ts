// Second factors: TOTP setup, enabling and disabling, recovery codes, and checking a code at login.
import { randomBytes } from 'node:crypto';
import { and, count, eq, isNull, lt, or } from 'drizzle-orm';
import { renderSVG } from 'uqr';
import type { AppDependencies } from '../../app.ts';
import type { Database } from '../../db/client.ts';
import { passkeys, recoveryCodes, users } from '../../db/schema/index.ts';
import { decrypt, encrypt, hashToken } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { checkPassword, requireUser, type UserRow } from '../users/service.ts';
import { MfaErrors } from './errors.ts';
import { base32Encode, generateTotpSecret, matchTotpStep, otpauthUri } from './totp.ts';

const RECOVERY_CODE_COUNT = 10;

export type SecondFactor = 'totp' | 'passkey';

/** The second factors a user has; a password login needs one of them when the list is not empty. */
export async function secondFactorMethods(db: Database, user: UserRow): Promise<SecondFactor[]> {
  const methods: SecondFactor[] = [];
  if (user.totpEnabledAt) methods.push('totp');
  const [row] = await db.select({ passkeys: count() }).from(passkeys).where(eq(passkeys.userId, user.id));
  if ((row?.passkeys ?? 0) > 0) methods.push('passkey');
  return methods;
}

/** Starts (or restarts) TOTP enrolment: the secret is stored encrypted, unused until a code confirms it. */
export async function setupTotp(deps: AppDependencies, userId: string) {
  const user = await requireUser(deps.db, userId);
  if (user.totpEnabledAt) throw new AppError(409, MfaErrors.totpAlreadyEnabled, 'TOTP is already on: disable it first');
  const secret = generateTotpSecret();
  await deps.db
    .update(users)
    .set({ totpSecret: encrypt(deps.keys.totp, secret), totpLastStep: null, updatedAt: new Date() })
    .where(eq(users.id, userId));
  const issuer = `Chat (${new URL(deps.config.publicUrl).host})`;
  const uri = otpauthUri(secret, user.username, issuer);
  return { secret, otpauthUri: uri, qrSvg: renderSVG(uri) };
}

/**
 * Accepts a TOTP code for `user`, at most once per step: the step is recorded by a conditional update,
 * so the same code sent twice, even concurrently, succeeds once.
 */
async function acceptTotpCode(deps: AppDependencies, user: UserRow, code: string): Promise<boolean> {
  if (!user.totpSecret) return false;
  const step = matchTotpStep(decrypt(deps.keys.totp, user.totpSecret), code, user.totpLastStep);
  if (step === null) return false;
  const updated = await deps.db
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
  return updated.length === 1;
}

/** Uses up one recovery code; true if it was valid and unused. */
async function acceptRecoveryCode(db: Database, userId: string, code: string): Promise<boolean> {
  const normalized = code.replace(/[\s-]/g, '').toLowerCase();
  const used = await db
    .update(recoveryCodes)
    .set({ usedAt: new Date() })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, hashToken(normalized)), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return used.length === 1;
}

/** A second-factor code at login: a current TOTP code, or one of the recovery codes. */
export async function verifySecondFactorCode(deps: AppDependencies, user: UserRow, code: string): Promise<boolean> {
  if (!user.totpEnabledAt) return false;
  if (/^\d{6}$/.test(code)) return acceptTotpCode(deps, user, code);
  return acceptRecoveryCode(deps.db, user.id, code);
}

/** Replaces the user's recovery codes with ten new ones and returns them: the only time they are shown. */
async function issueRecoveryCodes(db: Database, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  await db.batch([
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    db.insert(recoveryCodes).values(
      codes.map((code) => ({ id: newId(), userId, codeHash: hashToken(code.replace('-', '')) })),
    ),
  ]);
  return codes;
}

/** Turns TOTP on once a code from the app proves the secret was saved; returns the recovery codes. */
export async function enableTotp(deps: AppDependencies, userId: string, code: string): Promise<string[]> {
  const user = await requireUser(deps.db, userId);
  if (user.totpEnabledAt) throw new AppError(409, MfaErrors.totpAlreadyEnabled, 'TOTP is already on');
  if (!user.totpSecret) throw new AppError(409, MfaErrors.totpNotSetUp, 'Call /mfa/totp/setup first');
  if (!(await acceptTotpCode(deps, user, code))) {
    throw new AppError(400, MfaErrors.invalidMfaCode, 'The code is not right: check the app and the clock');
  }
  await deps.db.update(users).set({ totpEnabledAt: new Date(), updatedAt: new Date() }).where(eq(users.id, userId));
  return issueRecoveryCodes(deps.db, userId);
}

/** Proves the caller is the account holder right now: a second-factor code or the password. */
async function confirmIdentity(deps: AppDependencies, user: UserRow, proof: { code?: string; password?: string }) {
  if (proof.code !== undefined) {
    if (!(await verifySecondFactorCode(deps, user, proof.code))) {
      throw new AppError(400, MfaErrors.invalidMfaCode, 'The code is not right');
    }
  } else if (proof.password !== undefined) {
    await checkPassword(user, proof.password);
  } else {
    throw new AppError(400, 'validation_failed', 'Send a code or the password');
  }
}

/** Turns TOTP off with a code or the password; the recovery codes go with it. */
export async function disableTotp(deps: AppDependencies, userId: string, proof: { code?: string; password?: string }) {
  const user = await requireUser(deps.db, userId);
  if (!user.totpEnabledAt) throw new AppError(409, MfaErrors.totpNotEnabled, 'TOTP is not on');
  await confirmIdentity(deps, user, proof);
  await deps.db.batch([
    deps.db
      .update(users)
      .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, updatedAt: new Date() })
      .where(eq(users.id, userId)),
    deps.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
  ]);
}

/** New recovery codes (the old ones stop working), after a code or the password. */
export async function regenerateRecoveryCodes(deps: AppDependencies, userId: string, proof: { code?: string; password?: string }) {
  const user = await requireUser(deps.db, userId);
  if (!user.totpEnabledAt) throw new AppError(409, MfaErrors.totpNotEnabled, 'TOTP is not on');
  await confirmIdentity(deps, user, proof);
  return issueRecoveryCodes(deps.db, userId);
}
