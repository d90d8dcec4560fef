// Signed JWTs: short-lived access tokens, and the five-minute token between a password and its second factor.
import { jwt } from '@elysiajs/jwt';
import { t } from 'elysia';

export interface AccessClaims {
  userId: string;
  /** The refresh-token family (session) this access token belongs to. */
  sessionId: string;
}

export type TokenSigner = ReturnType<typeof createTokenSigner>;

const MFA_TOKEN_TTL_SECONDS = 300;

/** Signs and verifies both token kinds with keys derived from the server's secret. */
export function createTokenSigner(secret: string, accessTokenTtlMs: number) {
  const accessTtlSeconds = Math.round(accessTokenTtlMs / 1000);
  // `typ` keeps one kind from being accepted as the other.
  const access = jwt({
    name: 'access',
    secret,
    exp: `${accessTtlSeconds}s`,
    schema: t.Object({ sub: t.String(), sid: t.String(), typ: t.Literal('access') }),
  }).decorator.access;
  const mfa = jwt({
    name: 'mfa',
    secret,
    exp: `${MFA_TOKEN_TTL_SECONDS}s`,
    schema: t.Object({ sub: t.String(), typ: t.Literal('mfa') }),
  }).decorator.mfa;

  return {
    accessTtlSeconds,
    signAccess: (claims: AccessClaims) => access.sign({ sub: claims.userId, sid: claims.sessionId, typ: 'access' }),
    /** The claims of a valid, unexpired access token, or null. */
    async verifyAccess(token: string): Promise<AccessClaims | null> {
      const payload = await access.verify(token);
      return payload && payload.typ === 'access' ? { userId: payload.sub, sessionId: payload.sid } : null;
    },
    signMfa: (userId: string) => mfa.sign({ sub: userId, typ: 'mfa' }),
    /** The user id of a valid, unexpired MFA token, or null. */
    async verifyMfa(token: string): Promise<string | null> {
      const payload = await mfa.verify(token);
      return payload && payload.typ === 'mfa' ? payload.sub : null;
    },
  };
}
