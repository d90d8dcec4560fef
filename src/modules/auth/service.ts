// Signing up, confirming the email, logging in (with a second factor when on), and resetting a password.
import { eq, sql } from 'drizzle-orm';
import type { AppDependencies } from '../../app.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { users } from '../../db/schema/index.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { hashPassword, verifyPassword } from '../../lib/password.ts';
import { resetPasswordTemplate, verifyEmailTemplate } from '../email/templates.ts';
import { MfaErrors } from '../mfa/errors.ts';
import { secondFactorMethods, verifySecondFactorCode } from '../mfa/service.ts';
import { UserErrors } from '../users/errors.ts';
import { findUserByEmail, findUserById, normalizeEmail, type UserRow } from '../users/service.ts';
import { consumeEmailToken, createEmailToken } from './email-tokens.ts';
import { AuthErrors } from './errors.ts';
import { endAllSessions, startSession, type SessionTokens } from './sessions.ts';

export type LoginResult =
  | (SessionTokens & { user: UserRow })
  | { mfaRequired: true; mfaToken: string; methods: ('totp' | 'passkey')[] };

/** Rate-limit rules per account; per-IP limits are applied by the routes. */
const LOGIN_ATTEMPTS_PER_ACCOUNT = { limit: 10, windowMs: 15 * 60_000 };
const MFA_ATTEMPTS_PER_ACCOUNT = { limit: 5, windowMs: 5 * 60_000 };
const EMAILS_PER_ADDRESS = { limit: 3, windowMs: 15 * 60_000 };

/** Verifying against this when the email is unknown makes both failures take the same time. */
const UNKNOWN_USER_HASH = await hashPassword('timing-equaliser');

const invalidCredentials = () => new AppError(401, AuthErrors.invalidCredentials, 'The email or password is not right');

export async function signup(
  deps: AppDependencies,
  input: { username: string; email: string; password: string },
): Promise<UserRow> {
  const now = new Date();
  const passwordHash = await hashPassword(input.password);
  let user: UserRow;
  try {
    [user] = (await deps.db
      .insert(users)
      .values({
        id: newId(),
        username: input.username.toLowerCase(),
        email: normalizeEmail(input.email),
        passwordHash,
        createdAt: now,
        updatedAt: now,
      })
      .returning()) as [UserRow];
  } catch (error) {
    if (isUniqueViolation(error, 'users_username_unique')) throw new AppError(409, UserErrors.usernameTaken, 'That username is taken');
    if (isUniqueViolation(error, 'users.email')) throw new AppError(409, UserErrors.emailTaken, 'That email is already registered');
    throw error;
  }
  await sendVerificationEmail(deps, user);
  return user;
}

async function sendVerificationEmail(deps: AppDependencies, user: UserRow): Promise<void> {
  deps.limiter.hit('email', user.email, EMAILS_PER_ADDRESS);
  const token = await createEmailToken(deps.db, user.id, 'verify_email');
  const link = `${deps.config.publicUrl}/verify-email?token=${token}`;
  deps.mailer.send(verifyEmailTemplate(user.email, user.username, link));
}

/** Confirms the address the token was sent to; throws 400 invalid_token if expired, used or unknown. */
export async function verifyEmail(deps: AppDependencies, token: string): Promise<UserRow> {
  const userId = await consumeEmailToken(deps.db, token, 'verify_email');
  if (!userId) throw new AppError(400, AuthErrors.invalidToken, 'This link is invalid, expired or already used');
  const [user] = await deps.db
    .update(users)
    .set({ emailVerifiedAt: new Date(), updatedAt: new Date() })
    .where(eq(users.id, userId))
    .returning();
  if (!user) throw new AppError(400, AuthErrors.invalidToken, 'This link is invalid, expired or already used');
  return user;
}

/** Sends a new link when the address belongs to an unconfirmed account; says nothing either way. */
export async function resendVerification(deps: AppDependencies, email: string): Promise<void> {
  const user = await findUserByEmail(deps.db, email);
  if (user && !user.emailVerifiedAt) await sendVerificationEmail(deps, user);
}

export async function login(deps: AppDependencies, input: { email: string; password: string }): Promise<LoginResult> {
  const email = normalizeEmail(input.email);
  // Counts attempts per account (so guessing one account from many IPs is bounded too); a success resets it.
  deps.limiter.hit('login', email, LOGIN_ATTEMPTS_PER_ACCOUNT);
  const user = await findUserByEmail(deps.db, email);
  const passwordMatches = await verifyPassword(input.password, user?.passwordHash ?? UNKNOWN_USER_HASH);
  if (!user || !passwordMatches) throw invalidCredentials();
  deps.limiter.reset('login', email);
  if (!user.emailVerifiedAt) {
    throw new AppError(403, AuthErrors.emailNotVerified, 'Confirm your email first: we sent you a link');
  }
  const methods = await secondFactorMethods(deps.db, user);
  if (methods.length > 0) return { mfaRequired: true, mfaToken: await deps.tokens.signMfa(user.id), methods };
  return { ...(await startSession(deps, user.id)), user };
}

/** The user an MFA token was issued to, or 401. */
export async function userOfMfaToken(deps: AppDependencies, mfaToken: string): Promise<UserRow> {
  const userId = await deps.tokens.verifyMfa(mfaToken);
  const user = userId ? await findUserById(deps.db, userId) : null;
  if (!user) throw new AppError(401, AuthErrors.invalidToken, 'The MFA token is invalid or expired: log in again');
  return user;
}

/** Second step of a password login: a TOTP or recovery code. */
export async function completeMfaLogin(
  deps: AppDependencies,
  input: { mfaToken: string; code: string },
): Promise<SessionTokens & { user: UserRow }> {
  const user = await userOfMfaToken(deps, input.mfaToken);
  deps.limiter.hit('mfa', user.id, MFA_ATTEMPTS_PER_ACCOUNT);
  if (!(await verifySecondFactorCode(deps, user, input.code))) {
    throw new AppError(401, MfaErrors.invalidMfaCode, 'The code is not right');
  }
  deps.limiter.reset('mfa', user.id);
  return { ...(await startSession(deps, user.id)), user };
}

/** Emails a reset link when the address has an account; says nothing either way. */
export async function requestPasswordReset(deps: AppDependencies, email: string): Promise<void> {
  const user = await findUserByEmail(deps.db, email);
  if (!user) return;
  deps.limiter.hit('email', user.email, EMAILS_PER_ADDRESS);
  const token = await createEmailToken(deps.db, user.id, 'reset_password');
  const link = `${deps.config.publicUrl}/password/reset?token=${token}`;
  deps.mailer.send(resetPasswordTemplate(user.email, user.username, link));
}

/** Sets a new password from an emailed token and signs out every session. */
export async function resetPassword(deps: AppDependencies, input: { token: string; newPassword: string }): Promise<void> {
  const userId = await consumeEmailToken(deps.db, input.token, 'reset_password');
  if (!userId) throw new AppError(400, AuthErrors.invalidToken, 'This link is invalid, expired or already used');
  const now = new Date();
  await deps.db
    .update(users)
    .set({
      passwordHash: await hashPassword(input.newPassword),
      // The reset link reached the inbox, which proves the address too.
      emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now.getTime()})`,
      updatedAt: now,
    })
    .where(eq(users.id, userId));
  await endAllSessions(deps.db, userId);
}
