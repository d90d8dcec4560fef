// `{ auth: true }` on a route: requires `Authorization: Bearer <accessToken>` and gives the handler `userId` and `sessionId`.
import { Elysia } from 'elysia';
import { AppError, CommonErrors } from '../lib/errors.ts';
import type { TokenSigner } from '../modules/auth/tokens.ts';

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1]! : null;
}

export function authGuard(tokens: TokenSigner) {
  return new Elysia({ name: 'auth-guard' }).macro({
    auth: {
      detail: { security: [{ bearerAuth: [] }] },
      async resolve({ headers }) {
        const token = bearerToken(headers.authorization);
        if (!token) throw new AppError(401, CommonErrors.unauthenticated, 'Send Authorization: Bearer <accessToken>');
        const claims = await tokens.verifyAccess(token);
        if (!claims) throw new AppError(401, CommonErrors.unauthenticated, 'The access token is invalid or expired');
        return { userId: claims.userId, sessionId: claims.sessionId };
      },
    },
  });
}
