// Routes of second factors: TOTP with recovery codes, and passkeys.
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { WebAuthnOptions, WebAuthnResponse } from '../auth/model.ts';
import { authGuard } from '../../plugins/auth-guard.ts';
import {
  deletePasskey,
  finishPasskeyRegistration,
  listPasskeys,
  renamePasskey,
  startPasskeyRegistration,
  toPasskeyView,
} from './passkeys.ts';
import { disableTotp, enableTotp, regenerateRecoveryCodes, setupTotp } from './service.ts';

const TotpSetup = t.Object({
  secret: t.String({ description: 'Base32, for typing into an authenticator app.' }),
  otpauthUri: t.String(),
  qrSvg: t.String({ description: 'The otpauth URI as a QR code, an SVG document.' }),
});
const CodeBody = t.Object({ code: t.String({ pattern: '^\\d{6}$', description: 'The 6-digit code the app shows.' }) });
const ProofBody = t.Object(
  {
    code: t.Optional(t.String({ minLength: 6, maxLength: 16, description: 'A TOTP or recovery code.' })),
    password: t.Optional(t.String({ maxLength: 256 })),
  },
  { description: 'A current code or the password.' },
);
const RecoveryCodes = t.Object({
  recoveryCodes: t.Array(t.String(), { description: 'Ten single-use codes; shown only now.' }),
});
const Passkey = t.Object({
  id: t.String(),
  name: t.String(),
  deviceType: t.String({ description: '`singleDevice` or `multiDevice` (synced).' }),
  backedUp: t.Boolean(),
  createdAt: t.String({ format: 'date-time' }),
  lastUsedAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
});
const PasskeyName = t.String({ minLength: 1, maxLength: 64 });
const PasskeyParams = t.Object({ id: t.String({ maxLength: 64 }) });

export function mfaModule(deps: AppDependencies) {
  const { db } = deps;
  return new Elysia({ name: 'mfa', detail: { tags: ['Second factors'] } })
    .use(authGuard(deps.tokens))
    .model({ Passkey })
    .post('/mfa/totp/setup', ({ userId }) => setupTotp(deps, userId), {
      auth: true,
      response: TotpSetup,
      detail: {
        summary: 'Start TOTP enrolment',
        description: 'Show the QR code; TOTP is on only after /mfa/totp/enable with a code. 409 when already on.',
      },
    })
    .post('/mfa/totp/enable', async ({ userId, body }) => ({ recoveryCodes: await enableTotp(deps, userId, body.code) }), {
      auth: true,
      body: CodeBody,
      response: RecoveryCodes,
      detail: { summary: 'Turn TOTP on with a code from the app', description: 'Returns ten recovery codes, shown only this once.' },
    })
    .post(
      '/mfa/totp/disable',
      async ({ userId, body, set }) => {
        await disableTotp(deps, userId, body);
        set.status = 204;
      },
      { auth: true, body: ProofBody, detail: { summary: 'Turn TOTP off', description: 'Needs a code or the password.' } },
    )
    .post(
      '/mfa/recovery-codes',
      async ({ userId, body }) => ({ recoveryCodes: await regenerateRecoveryCodes(deps, userId, body) }),
      {
        auth: true,
        body: ProofBody,
        response: RecoveryCodes,
        detail: { summary: 'Replace the recovery codes', description: 'The old ones stop working. Needs a code or the password.' },
      },
    )
    .post('/passkeys/register/options', ({ userId }) => startPasskeyRegistration(deps, userId), {
      auth: true,
      response: WebAuthnOptions,
      detail: { summary: 'Start registering a passkey', description: 'Pass `options` to navigator.credentials.create().' },
    })
    .post(
      '/passkeys/register/verify',
      async ({ userId, body }) => ({
        passkey: toPasskeyView(
          await finishPasskeyRegistration(deps, userId, { response: body.response as RegistrationResponseJSON, name: body.name }),
        ),
      }),
      {
        auth: true,
        body: t.Object({ response: WebAuthnResponse, name: t.Optional(PasskeyName) }),
        response: t.Object({ passkey: Passkey }),
        detail: {
          summary: 'Finish registering a passkey',
          description: 'The challenge is matched from the response itself. 400 `invalid_passkey` when it does not verify.',
        },
      },
    )
    .get('/passkeys', async ({ userId }) => ({ items: (await listPasskeys(db, userId)).map(toPasskeyView) }), {
      auth: true,
      response: t.Object({ items: t.Array(Passkey) }),
      detail: { summary: 'Your passkeys' },
    })
    .patch(
      '/passkeys/:id',
      async ({ userId, params, body }) => ({ passkey: toPasskeyView(await renamePasskey(db, userId, params.id, body.name)) }),
      {
        auth: true,
        params: PasskeyParams,
        body: t.Object({ name: PasskeyName }),
        response: t.Object({ passkey: Passkey }),
        detail: { summary: 'Rename a passkey' },
      },
    )
    .delete(
      '/passkeys/:id',
      async ({ userId, params, set }) => {
        await deletePasskey(db, userId, params.id);
        set.status = 204;
      },
      { auth: true, params: PasskeyParams, detail: { summary: 'Remove a passkey' } },
    );
}
