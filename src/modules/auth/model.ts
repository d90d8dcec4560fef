// Schemas of the auth module's requests and answers.
import { t } from 'elysia';
import { EmailAddress, Password, User, Username } from '../users/model.ts';

export const SignupBody = t.Object({ username: Username, email: EmailAddress, password: Password });

export const TokenBody = t.Object({ token: t.String({ minLength: 1, maxLength: 256 }) });

export const EmailBody = t.Object({ email: EmailAddress });

export const LoginBody = t.Object({
  email: t.String({ maxLength: 254 }),
  password: t.String({ maxLength: 256 }),
});

export const SessionTokens = t.Object(
  {
    accessToken: t.String({ description: 'JWT for `Authorization: Bearer …`.' }),
    refreshToken: t.String({ description: 'Opaque; single use: each refresh returns a new one.' }),
    expiresIn: t.Integer({ description: 'Seconds until the access token expires.' }),
    user: User,
  },
  { description: 'A new session.' },
);

export const MfaChallenge = t.Object(
  {
    mfaRequired: t.Literal(true),
    mfaToken: t.String({ description: 'Valid five minutes, for /login/mfa or /login/passkey/options.' }),
    methods: t.Array(t.Union([t.Literal('totp'), t.Literal('passkey')])),
  },
  { description: 'The password was right; a second factor is needed.' },
);

export const MfaLoginBody = t.Object({
  mfaToken: t.String({ maxLength: 2048 }),
  code: t.String({ minLength: 6, maxLength: 16, description: 'A 6-digit TOTP code or a recovery code.' }),
});

export const PasskeyLoginOptionsBody = t.Union([
  t.Object({ mfaToken: t.String({ maxLength: 2048 }) }, { description: 'Passkey as the second factor.' }),
  t.Object({ email: t.Optional(t.String({ maxLength: 254 })) }, { description: 'Passwordless login.' }),
]);

export const WebAuthnOptions = t.Object(
  {
    challengeId: t.String(),
    options: t.Object(
      { challenge: t.String() },
      { additionalProperties: true, description: 'WebAuthn options JSON for navigator.credentials.' },
    ),
  },
  { description: 'Pass `options` to @simplewebauthn/browser (or navigator.credentials) and send back the result.' },
);

/** A WebAuthn credential as browsers serialise it; @simplewebauthn/server checks the inside. */
export const WebAuthnResponse = t.Object(
  {
    id: t.String({ maxLength: 1024 }),
    rawId: t.String({ maxLength: 1024 }),
    type: t.Literal('public-key'),
    response: t.Object(
      {
        clientDataJSON: t.String({ maxLength: 16_384 }),
        attestationObject: t.Optional(t.String({ maxLength: 65_536 })),
        authenticatorData: t.Optional(t.String({ maxLength: 65_536 })),
        signature: t.Optional(t.String({ maxLength: 4096 })),
        userHandle: t.Optional(t.String({ maxLength: 1024 })),
        transports: t.Optional(t.Array(t.String({ maxLength: 32 }), { maxItems: 10 })),
        publicKey: t.Optional(t.String({ maxLength: 4096 })),
        publicKeyAlgorithm: t.Optional(t.Integer()),
      },
      { additionalProperties: true },
    ),
    clientExtensionResults: t.Record(t.String(), t.Unknown()),
    authenticatorAttachment: t.Optional(t.String({ maxLength: 32 })),
  },
  { description: 'PublicKeyCredential JSON (RegistrationResponseJSON or AuthenticationResponseJSON).' },
);

export const PasskeyLoginVerifyBody = t.Object({ challengeId: t.String({ maxLength: 64 }), response: WebAuthnResponse });

export const RefreshBody = t.Object({ refreshToken: t.String({ minLength: 1, maxLength: 256 }) });

export const RefreshedTokens = t.Object({
  accessToken: t.String(),
  refreshToken: t.String(),
  expiresIn: t.Integer(),
});

export const ResetPasswordBody = t.Object({ token: t.String({ minLength: 1, maxLength: 256 }), newPassword: Password });
