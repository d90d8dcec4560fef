// Passkeys (WebAuthn): registering several per account, and using one to log in or as the second factor.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { and, asc, eq } from 'drizzle-orm';
import type { AppDependencies } from '../../app.ts';
import type { Database } from '../../db/client.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { passkeys, webauthnChallenges } from '../../db/schema/index.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { findUserByEmail, findUserById, requireUser, type UserRow } from '../users/service.ts';
import { MfaErrors } from './errors.ts';

const CHALLENGE_TTL_MS = 5 * 60_000;

type Ceremony = 'register' | 'login' | 'mfa';
export type PasskeyRow = typeof passkeys.$inferSelect;

export function toPasskeyView(passkey: PasskeyRow) {
  return {
    id: passkey.id,
    name: passkey.name,
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
  };
}

export function listPasskeys(db: Database, userId: string): Promise<PasskeyRow[]> {
  return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt));
}

async function storeChallenge(db: Database, ceremony: Ceremony, challenge: string, userId: string | null): Promise<string> {
  const id = newId();
  const now = Date.now();
  // Expired ones are swept by housekeeping (src/db/housekeeping.ts).
  await db.insert(webauthnChallenges).values({ id, ceremony, userId, challenge, expiresAt: new Date(now + CHALLENGE_TTL_MS) });
  return id;
}

/**
 * Takes a challenge out of the store (so it can serve one ceremony only) if it is of the right
 * ceremony and unexpired; anything else is a failed ceremony.
 */
async function consumeChallenge(db: Database, where: ReturnType<typeof and>, ceremonies: Ceremony[]) {
  const [row] = await db.delete(webauthnChallenges).where(where).returning();
  if (!row || !ceremonies.includes(row.ceremony)) {
    throw new AppError(400, MfaErrors.invalidPasskey, 'Unknown or already used challenge: start again');
  }
  if (row.expiresAt.getTime() < Date.now()) {
    throw new AppError(400, MfaErrors.challengeExpired, 'The challenge expired: start again');
  }
  return row;
}

/** The challenge a client signed, read from its clientDataJSON. */
function challengeOf(response: { response: { clientDataJSON: string } }): string {
  try {
    const clientData: unknown = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'));
    if (clientData && typeof clientData === 'object' && 'challenge' in clientData && typeof clientData.challenge === 'string') {
      return clientData.challenge;
    }
  } catch {
    // fall through to the error below
  }
  throw new AppError(400, MfaErrors.invalidPasskey, 'The response has no readable clientDataJSON');
}

export async function startPasskeyRegistration(deps: AppDependencies, userId: string) {
  const user = await requireUser(deps.db, userId);
  const existing = await listPasskeys(deps.db, userId);
  const options = await generateRegistrationOptions({
    rpName: 'Chat',
    rpID: deps.config.webauthnRpId,
    userID: new TextEncoder().encode(user.id),
    userName: user.username,
    userDisplayName: user.displayName ?? user.username,
    attestationType: 'none',
    // The same authenticator cannot be registered twice.
    excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
  const challengeId = await storeChallenge(deps.db, 'register', options.challenge, userId);
  return { challengeId, options };
}

export async function finishPasskeyRegistration(
  deps: AppDependencies,
  userId: string,
  input: { response: RegistrationResponseJSON; name?: string },
): Promise<PasskeyRow> {
  const challenge = await consumeChallenge(
    deps.db,
    and(eq(webauthnChallenges.challenge, challengeOf(input.response)), eq(webauthnChallenges.userId, userId)),
    ['register'],
  );
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: deps.config.publicUrl,
      expectedRPID: deps.config.webauthnRpId,
    });
  } catch (error) {
    throw new AppError(400, MfaErrors.invalidPasskey, `The passkey could not be verified: ${error instanceof Error ? error.message : 'unknown'}`);
  }
  if (!verification.verified) throw new AppError(400, MfaErrors.invalidPasskey, 'The passkey could not be verified');
  const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
  const count = (await listPasskeys(deps.db, userId)).length;
  try {
    const [passkey] = await deps.db
      .insert(passkeys)
      .values({
        id: newId(),
        userId,
        name: input.name?.trim() || `Passkey ${count + 1}`,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: credential.transports ?? [],
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        createdAt: new Date(),
      })
      .returning();
    return passkey!;
  } catch (error) {
    if (isUniqueViolation(error, 'passkeys.credential_id')) {
      throw new AppError(409, CommonErrors.conflict, 'This passkey is already registered');
    }
    throw error;
  }
}

export async function renamePasskey(db: Database, userId: string, passkeyId: string, name: string): Promise<PasskeyRow> {
  const [passkey] = await db
    .update(passkeys)
    .set({ name: name.trim() })
    .where(and(eq(passkeys.id, passkeyId), eq(passkeys.userId, userId)))
    .returning();
  if (!passkey) throw new AppError(404, CommonErrors.notFound, 'No such passkey');
  return passkey;
}

export async function deletePasskey(db: Database, userId: string, passkeyId: string): Promise<void> {
  const deleted = await db
    .delete(passkeys)
    .where(and(eq(passkeys.id, passkeyId), eq(passkeys.userId, userId)))
    .returning({ id: passkeys.id });
  if (deleted.length === 0) throw new AppError(404, CommonErrors.notFound, 'No such passkey');
}

/**
 * Options for a passkey login. With `secondFactorFor` (the user behind an MFA token) only their
 * passkeys are allowed. With an email, that account's passkeys are listed; an unknown email gets
 * the same answer as no email (any discoverable passkey), so the answer reveals nothing.
 */
export async function startPasskeyLogin(deps: AppDependencies, input: { email?: string; secondFactorFor?: UserRow }) {
  const user = input.secondFactorFor ?? (input.email ? await findUserByEmail(deps.db, input.email) : null);
  const allowed = user ? await listPasskeys(deps.db, user.id) : [];
  const options = await generateAuthenticationOptions({
    rpID: deps.config.webauthnRpId,
    allowCredentials: allowed.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    userVerification: 'preferred',
  });
  const ceremony = input.secondFactorFor ? 'mfa' : 'login';
  const challengeId = await storeChallenge(deps.db, ceremony, options.challenge, input.secondFactorFor?.id ?? null);
  return { challengeId, options };
}

/** Verifies a passkey assertion and returns the user it proves; 401 invalid_passkey otherwise. */
export async function finishPasskeyLogin(
  deps: AppDependencies,
  input: { challengeId: string; response: AuthenticationResponseJSON },
): Promise<UserRow> {
  const challenge = await consumeChallenge(deps.db, eq(webauthnChallenges.id, input.challengeId), ['login', 'mfa']);
  const refuse = (reason: string) => new AppError(401, MfaErrors.invalidPasskey, reason);
  const passkey = await deps.db.query.passkeys.findFirst({ where: eq(passkeys.credentialId, input.response.id) });
  if (!passkey) throw refuse('This passkey is not registered');
  // The second-factor step must be done with a passkey of the user who gave the password.
  if (challenge.ceremony === 'mfa' && passkey.userId !== challenge.userId) throw refuse('This passkey belongs to another account');
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: deps.config.publicUrl,
      expectedRPID: deps.config.webauthnRpId,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
        counter: passkey.counter,
        transports: passkey.transports,
      },
    });
  } catch (error) {
    // A counter that went backwards lands here too: a sign of a cloned authenticator.
    throw refuse(`The passkey could not be verified: ${error instanceof Error ? error.message : 'unknown'}`);
  }
  if (!verification.verified) throw refuse('The passkey signature is not valid');
  await deps.db
    .update(passkeys)
    .set({ counter: verification.authenticationInfo.newCounter, lastUsedAt: new Date() })
    .where(eq(passkeys.id, passkey.id));
  const user = await findUserById(deps.db, passkey.userId);
  if (!user) throw refuse('This passkey is not registered');
  return user;
}
