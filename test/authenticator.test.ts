import { describe, expect, it } from 'bun:test';
import { Buffer } from 'node:buffer';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { AuthenticationResponseJSON, WebAuthnCredential } from '@simplewebauthn/server';
import { rawSignatureToDer, SoftwareAuthenticator } from './helpers/authenticator.ts';

// The software authenticator is checked against the real SimpleWebAuthn verifier, nothing mocked.
const rpID = 'localhost';
const origin = 'http://localhost:3000';

async function register(authenticator: SoftwareAuthenticator) {
  const options = await generateRegistrationOptions({
    rpName: 'Chat',
    rpID,
    userName: 'ada@example.com',
    userID: new TextEncoder().encode('user-ada'),
  });
  const response = await authenticator.createCredential(options, origin);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
  });
  if (!verification.verified) throw new Error('registration did not verify');
  return { options, response, verification, credential: verification.registrationInfo.credential };
}

async function logIn(authenticator: SoftwareAuthenticator, allowCredentials: WebAuthnCredential[]) {
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: allowCredentials.map(({ id }) => ({ id })) });
  const response = await authenticator.getAssertion(options, origin);
  return { options, response };
}

function verifyLogIn(
  response: AuthenticationResponseJSON,
  credential: WebAuthnCredential,
  expected: { challenge: string; origin?: string },
) {
  return verifyAuthenticationResponse({
    response,
    credential,
    expectedChallenge: expected.challenge,
    expectedOrigin: expected.origin ?? origin,
    expectedRPID: rpID,
  });
}

describe('SoftwareAuthenticator', () => {
  it('creates a credential that passes registration verification', async () => {
    const { response, verification, credential } = await register(new SoftwareAuthenticator());
    expect(verification.verified).toBe(true);
    expect(credential.id).toBe(response.id);
    expect(credential.counter).toBe(0);
    expect(verification.registrationInfo?.fmt).toBe('none');
    expect(verification.registrationInfo?.userVerified).toBe(true);
  });

  it('signs assertions for an allowed credential and counts each use', async () => {
    const authenticator = new SoftwareAuthenticator();
    const { credential } = await register(authenticator);

    const first = await logIn(authenticator, [credential]);
    const firstResult = await verifyLogIn(first.response, credential, { challenge: first.options.challenge });
    expect(firstResult.verified).toBe(true);
    expect(firstResult.authenticationInfo.newCounter).toBe(1);

    const stored = { ...credential, counter: firstResult.authenticationInfo.newCounter };
    const second = await logIn(authenticator, [stored]);
    const secondResult = await verifyLogIn(second.response, stored, { challenge: second.options.challenge });
    expect(secondResult.verified).toBe(true);
    expect(secondResult.authenticationInfo.newCounter).toBe(2);
  });

  it('logs in without allowCredentials and returns the user handle from registration', async () => {
    const authenticator = new SoftwareAuthenticator();
    const { options: registrationOptions, credential } = await register(authenticator);

    const { options, response } = await logIn(authenticator, []);
    expect(options.allowCredentials).toEqual([]);
    expect(response.id).toBe(credential.id);
    expect(response.response.userHandle).toBe(registrationOptions.user.id);
    expect(response.response.userHandle).toBe(Buffer.from('user-ada').toString('base64url'));
    const result = await verifyLogIn(response, credential, { challenge: options.challenge });
    expect(result.verified).toBe(true);
  });

  it('fails verification when the signature is tampered with', async () => {
    const authenticator = new SoftwareAuthenticator();
    const { credential } = await register(authenticator);
    const { options, response } = await logIn(authenticator, [credential]);

    // Flipping the last byte keeps the DER structure valid, so only the signature check can catch it.
    const signature = Buffer.from(response.response.signature, 'base64url');
    signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
    const tampered = { ...response, response: { ...response.response, signature: signature.toString('base64url') } };

    const result = await verifyLogIn(tampered, credential, { challenge: options.challenge });
    expect(result.verified).toBe(false);
  });

  it('fails verification for a different origin', async () => {
    const authenticator = new SoftwareAuthenticator();
    const { credential } = await register(authenticator);
    const options = await generateAuthenticationOptions({ rpID, allowCredentials: [{ id: credential.id }] });
    const response = await authenticator.getAssertion(options, 'http://evil.example:3000');

    await expect(verifyLogIn(response, credential, { challenge: options.challenge })).rejects.toThrow(/origin/i);
  });

  it('fails verification for a different challenge', async () => {
    const authenticator = new SoftwareAuthenticator();
    const { credential } = await register(authenticator);
    const { response } = await logIn(authenticator, [credential]);
    const otherOptions = await generateAuthenticationOptions({ rpID });

    await expect(verifyLogIn(response, credential, { challenge: otherOptions.challenge })).rejects.toThrow(/challenge/i);
  });

  it('lets the server detect a cloned authenticator through a rewound counter', async () => {
    const authenticator = new SoftwareAuthenticator();
    const { credential } = await register(authenticator);
    authenticator.setCounter(credential.id, 0);
    const { options, response } = await logIn(authenticator, [credential]);

    await expect(verifyLogIn(response, { ...credential, counter: 5 }, { challenge: options.challenge })).rejects.toThrow(/counter/i);
  });

  it('refuses to register again when excludeCredentials lists a credential it holds', async () => {
    const authenticator = new SoftwareAuthenticator();
    const { credential } = await register(authenticator);
    const options = await generateRegistrationOptions({
      rpName: 'Chat',
      rpID,
      userName: 'ada@example.com',
      excludeCredentials: [{ id: credential.id }],
    });

    await expect(authenticator.createCredential(options, origin)).rejects.toThrow(/InvalidStateError/);
    // A different authenticator does not hold that credential, so it may register.
    expect((await new SoftwareAuthenticator().createCredential(options, origin)).type).toBe('public-key');
  });

  it('refuses to sign when it holds no credential for the relying party', async () => {
    const authenticator = new SoftwareAuthenticator();
    await register(authenticator);
    const options = await generateAuthenticationOptions({ rpID: 'other.example' });

    await expect(authenticator.getAssertion(options, 'https://other.example')).rejects.toThrow(/NotAllowedError/);
  });
});

describe('rawSignatureToDer', () => {
  it('strips leading zeros and pads integers whose high bit is set', () => {
    const r = new Uint8Array(32).fill(0x11);
    r[0] = 0x00;
    r[1] = 0x00;
    r[2] = 0x7f; // high bit clear after trimming: no padding
    const s = new Uint8Array(32).fill(0x22);
    s[0] = 0x80; // high bit set: needs a 0x00 in front

    const der = rawSignatureToDer(new Uint8Array([...r, ...s]));

    expect([...der]).toEqual([0x30, 2 + 30 + 2 + 33, 0x02, 30, ...r.subarray(2), 0x02, 33, 0x00, ...s]);
  });
});
