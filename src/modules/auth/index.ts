// Routes of signup, email confirmation, login (password, second factor, passkey), sessions and password reset.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { AppError } from '../../lib/errors.ts';
import { rateLimitByIp } from '../../plugins/rate-limit.ts';
import { finishPasskeyLogin, startPasskeyLogin } from '../mfa/passkeys.ts';
import { UserEnvelope } from '../users/model.ts';
import { toOwnUser, type UserRow } from '../users/service.ts';
import { AuthErrors } from './errors.ts';
import {
  EmailBody,
  LoginBody,
  MfaChallenge,
  MfaLoginBody,
  PasskeyLoginOptionsBody,
  PasskeyLoginVerifyBody,
  RefreshBody,
  RefreshedTokens,
  ResetPasswordBody,
  SessionTokens,
  SignupBody,
  TokenBody,
  WebAuthnOptions,
} from './model.ts';
import { emailVerifiedPage, resetPasswordPage } from './pages.ts';
import {
  completeMfaLogin,
  login,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  signup,
  userOfMfaToken,
  verifyEmail,
} from './service.ts';
import { endSession, rotateSession, startSession, type SessionTokens as Tokens } from './sessions.ts';

const Accepted = t.Object({ message: t.String() });

export function authModule(deps: AppDependencies) {
  const withUser = async (session: Tokens & { user: UserRow }) => ({ ...session, user: await toOwnUser(deps.db, session.user) });

  return new Elysia({ name: 'auth', detail: { tags: ['Auth'] } })
    .use(rateLimitByIp(deps.limiter, deps.config.rateLimit))
    .model({ SessionTokens, MfaChallenge, WebAuthnOptions })
    .post(
      '/signup',
      async ({ body, set }) => {
        const user = await signup(deps, body);
        set.status = 201;
        return { user: await toOwnUser(deps.db, user) };
      },
      {
        body: SignupBody,
        response: { 201: UserEnvelope },
        rateLimit: 'signup',
        detail: {
          summary: 'Create an account',
          description: 'Sends a confirmation email. 409 `username_taken` or `email_taken` when either is in use.',
        },
      },
    )
    .get(
      '/verify-email',
      async ({ query }) => {
        try {
          await verifyEmail(deps, query.token);
          return emailVerifiedPage(true);
        } catch (error) {
          if (error instanceof AppError && error.code === AuthErrors.invalidToken) return emailVerifiedPage(false);
          throw error;
        }
      },
      {
        query: TokenBody,
        rateLimit: 'verify-email',
        detail: { summary: 'Confirm an email (the link in the email)', description: 'Answers an HTML page for the person who clicked.' },
      },
    )
    .post('/verify-email', async ({ body }) => ({ user: await toOwnUser(deps.db, await verifyEmail(deps, body.token)) }), {
      body: TokenBody,
      response: UserEnvelope,
      rateLimit: 'verify-email',
      detail: { summary: 'Confirm an email', description: '400 `invalid_token` when the token is expired, used or unknown.' },
    })
    .post(
      '/verify-email/resend',
      async ({ body, set }) => {
        await resendVerification(deps, body.email);
        set.status = 202;
        return { message: 'If that address has an unconfirmed account, a new link is on its way' };
      },
      {
        body: EmailBody,
        response: { 202: Accepted },
        rateLimit: 'email',
        detail: { summary: 'Send the confirmation email again', description: 'Answers 202 whether or not the address exists.' },
      },
    )
    .post(
      '/login',
      async ({ body }) => {
        const result = await login(deps, body);
        return 'mfaRequired' in result ? result : withUser(result);
      },
      {
        body: LoginBody,
        response: t.Union([SessionTokens, MfaChallenge]),
        rateLimit: 'login',
        detail: {
          summary: 'Log in with email and password',
          description:
            'Tokens, or `{mfaRequired, mfaToken, methods}` when a second factor is on. 401 `invalid_credentials` for an unknown email and a wrong password alike; 403 `email_not_verified` before the email is confirmed.',
        },
      },
    )
    .post('/login/mfa', async ({ body }) => withUser(await completeMfaLogin(deps, body)), {
      body: MfaLoginBody,
      response: SessionTokens,
      rateLimit: 'login',
      detail: { summary: 'Second step: a TOTP or recovery code', description: '401 `invalid_mfa_code` when the code is wrong or used.' },
    })
    .post(
      '/login/passkey/options',
      async ({ body }) =>
        'mfaToken' in body
          ? startPasskeyLogin(deps, { secondFactorFor: await userOfMfaToken(deps, body.mfaToken) })
          : startPasskeyLogin(deps, { email: body.email }),
      {
        body: PasskeyLoginOptionsBody,
        response: WebAuthnOptions,
        rateLimit: 'login',
        detail: {
          summary: 'Start a passkey login',
          description: '`{mfaToken}` for a passkey as the second factor; `{email?}` for a passwordless login (without email, any discoverable passkey).',
        },
      },
    )
    .post(
      '/login/passkey/verify',
      async ({ body }) => {
        const user = await finishPasskeyLogin(deps, { challengeId: body.challengeId, response: body.response as AuthenticationResponseJSON });
        if (!user.emailVerifiedAt) throw new AppError(403, AuthErrors.emailNotVerified, 'Confirm your email first');
        return withUser({ ...(await startSession(deps, user.id)), user });
      },
      {
        body: PasskeyLoginVerifyBody,
        response: SessionTokens,
        rateLimit: 'login',
        detail: { summary: 'Finish a passkey login', description: '401 `invalid_passkey` when the assertion does not verify.' },
      },
    )
    .post('/token/refresh', ({ body }) => rotateSession(deps, body.refreshToken), {
      body: RefreshBody,
      response: RefreshedTokens,
      rateLimit: 'refresh',
      detail: {
        summary: 'Trade a refresh token for a new pair',
        description: 'Each refresh token works once. Sending one that was already used revokes its whole session: log in again.',
      },
    })
    .post(
      '/logout',
      async ({ body, set }) => {
        await endSession(deps.db, body.refreshToken);
        set.status = 204;
      },
      {
        body: RefreshBody,
        detail: {
          summary: 'End the session of a refresh token',
          description: 'Needs only the refresh token (its possession is the proof), so an expired access token does not stop a logout.',
        },
      },
    )
    .post(
      '/password/forgot',
      async ({ body, set }) => {
        await requestPasswordReset(deps, body.email);
        set.status = 202;
        return { message: 'If that address has an account, a reset link is on its way' };
      },
      {
        body: EmailBody,
        response: { 202: Accepted },
        rateLimit: 'email',
        detail: { summary: 'Email a password-reset link', description: 'Answers 202 whether or not the address exists.' },
      },
    )
    .get('/password/reset', () => resetPasswordPage(), {
      detail: { summary: 'The page the reset link opens', description: 'An HTML form that posts to POST /password/reset.' },
    })
    .post(
      '/password/reset',
      async ({ body, set }) => {
        await resetPassword(deps, body);
        set.status = 204;
      },
      {
        body: ResetPasswordBody,
        rateLimit: 'login',
        detail: { summary: 'Set a new password with the emailed token', description: 'Ends every session of the account.' },
      },
    );
}
