import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createAccount, type TestAccount } from './helpers/accounts.ts';
import { SoftwareAuthenticator } from './helpers/authenticator.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';

// Real signed WebAuthn responses from a software authenticator, verified by the real @simplewebauthn/server.
const ORIGIN = 'http://localhost:4123';
let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;

beforeAll(async () => {
  server = await startEmailTestServer({ PUBLIC_URL: ORIGIN });
  ({ api, resend } = server);
});
afterAll(() => server.stop());

async function registerPasskey(account: TestAccount, authenticator: SoftwareAuthenticator, name?: string) {
  const options = await api.post('/passkeys/register/options', undefined, { token: account.accessToken });
  expect(options.status).toBe(200);
  const response = await authenticator.createCredential(options.body.options, ORIGIN);
  return api.post('/passkeys/register/verify', { response, name }, { token: account.accessToken });
}

async function passkeyLogin(authenticator: SoftwareAuthenticator, body: object) {
  const options = await api.post('/login/passkey/options', body);
  expect(options.status).toBe(200);
  const response = await authenticator.getAssertion(options.body.options, ORIGIN);
  return { challengeId: options.body.challengeId as string, response, result: await api.post('/login/passkey/verify', { challengeId: options.body.challengeId, response }) };
}

describe('registering passkeys', () => {
  it('registers several named passkeys, lists, renames and removes them', async () => {
    const account = await createAccount(api, resend, 'keys');
    const phone = new SoftwareAuthenticator();
    const laptop = new SoftwareAuthenticator();
    const first = await registerPasskey(account, phone, 'Phone');
    expect(first.status).toBe(200);
    expect(first.body.passkey).toMatchObject({ name: 'Phone', lastUsedAt: null });
    const second = await registerPasskey(account, laptop);
    expect(second.body.passkey.name).toBe('Passkey 2');

    const list = await api.get('/passkeys', { token: account.accessToken });
    expect(list.body.items.map((passkey: { name: string }) => passkey.name)).toEqual(['Phone', 'Passkey 2']);
    expect(JSON.stringify(list.body)).not.toContain('publicKey');
    expect((await api.get('/profile', { token: account.accessToken })).body.user.mfa).toEqual({ totp: false, passkeys: 2 });

    const renamed = await api.patch(`/passkeys/${second.body.passkey.id}`, { name: 'Laptop' }, { token: account.accessToken });
    expect(renamed.body.passkey.name).toBe('Laptop');
    expect((await api.delete(`/passkeys/${first.body.passkey.id}`, { token: account.accessToken })).status).toBe(204);
    const after = await api.get('/passkeys', { token: account.accessToken });
    expect(after.body.items.map((passkey: { name: string }) => passkey.name)).toEqual(['Laptop']);
  });

  it('excludes an authenticator that is already registered', async () => {
    const account = await createAccount(api, resend, 'exclude');
    const phone = new SoftwareAuthenticator();
    await registerPasskey(account, phone);
    const options = await api.post('/passkeys/register/options', undefined, { token: account.accessToken });
    expect(options.body.options.excludeCredentials).toHaveLength(1);
    await expect(phone.createCredential(options.body.options, ORIGIN)).rejects.toThrow('InvalidStateError');
  });

  it('refuses a response for another origin, and a challenge used twice', async () => {
    const account = await createAccount(api, resend, 'origin');
    const options = await api.post('/passkeys/register/options', undefined, { token: account.accessToken });
    const forged = await new SoftwareAuthenticator().createCredential(options.body.options, 'https://evil.example');
    const refused = await api.post('/passkeys/register/verify', { response: forged }, { token: account.accessToken });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_passkey');
    const retried = await api.post(
      '/passkeys/register/verify',
      { response: await new SoftwareAuthenticator().createCredential(options.body.options, ORIGIN) },
      { token: account.accessToken },
    );
    expect(retried.status).toBe(400);
  });

  it("refuses another user's registration challenge", async () => {
    const emma = await createAccount(api, resend, 'chalA');
    const john = await createAccount(api, resend, 'chalB');
    const options = await api.post('/passkeys/register/options', undefined, { token: emma.accessToken });
    const response = await new SoftwareAuthenticator().createCredential(options.body.options, ORIGIN);
    expect((await api.post('/passkeys/register/verify', { response }, { token: john.accessToken })).status).toBe(400);
  });
});

describe('logging in with a passkey', () => {
  it('logs in without a password, with or without the email', async () => {
    const account = await createAccount(api, resend, 'passwordless');
    const phone = new SoftwareAuthenticator();
    await registerPasskey(account, phone);

    const discoverable = await passkeyLogin(phone, {});
    expect(discoverable.result.status).toBe(200);
    expect(discoverable.result.body.user.id).toBe(account.id);
    expect((await api.get('/profile', { token: discoverable.result.body.accessToken })).status).toBe(200);

    const byEmail = await passkeyLogin(phone, { email: account.email });
    expect(byEmail.result.status).toBe(200);
    const list = await api.get('/passkeys', { token: byEmail.result.body.accessToken });
    expect(list.body.items[0].lastUsedAt).not.toBeNull();
  });

  it('uses each challenge once', async () => {
    const account = await createAccount(api, resend, 'once');
    const phone = new SoftwareAuthenticator();
    await registerPasskey(account, phone);
    const login = await passkeyLogin(phone, {});
    expect(login.result.status).toBe(200);
    const replay = await api.post('/login/passkey/verify', { challengeId: login.challengeId, response: login.response });
    expect(replay.status).toBe(400);
  });

  it('refuses a cloned authenticator whose counter went backwards', async () => {
    const account = await createAccount(api, resend, 'clone');
    const phone = new SoftwareAuthenticator();
    const registered = await registerPasskey(account, phone);
    expect((await passkeyLogin(phone, {})).result.status).toBe(200);
    expect((await passkeyLogin(phone, {})).result.status).toBe(200);
    const credentialId = (await api.get('/passkeys', { token: account.accessToken })).body.items[0].id;
    expect(credentialId).toBe(registered.body.passkey.id);
    phone.setCounter((await phone.getAssertion({ challenge: 'AAAA', rpId: 'localhost', allowCredentials: [] }, ORIGIN)).id, 1);
    const cloned = await passkeyLogin(phone, {});
    expect(cloned.result.status).toBe(401);
    expect(cloned.result.body.error.code).toBe('invalid_passkey');
  });

  it('refuses a passkey nobody registered', async () => {
    const stranger = new SoftwareAuthenticator();
    await stranger.createCredential(
      { rp: { id: 'localhost', name: 'x' }, user: { id: 'eA', name: 'x', displayName: 'x' }, challenge: 'AAAA', pubKeyCredParams: [{ alg: -7, type: 'public-key' }] },
      ORIGIN,
    );
    const login = await passkeyLogin(stranger, {});
    expect(login.result.status).toBe(401);
  });
});

describe('a passkey as the second factor', () => {
  it('asks for it after the password, then gives tokens for an assertion of that account', async () => {
    const account = await createAccount(api, resend, 'twofactor');
    const phone = new SoftwareAuthenticator();
    await registerPasskey(account, phone);
    const login = await api.post('/login', { email: account.email, password: account.password });
    expect(login.body).toMatchObject({ mfaRequired: true, methods: ['passkey'] });

    const options = await api.post('/login/passkey/options', { mfaToken: login.body.mfaToken });
    expect(options.body.options.allowCredentials).toHaveLength(1);
    const response = await phone.getAssertion(options.body.options, ORIGIN);
    const verified = await api.post('/login/passkey/verify', { challengeId: options.body.challengeId, response });
    expect(verified.status).toBe(200);
    expect(verified.body.user.id).toBe(account.id);
  });

  it("refuses another account's passkey in the second step", async () => {
    const emma = await createAccount(api, resend, 'mfaA');
    const john = await createAccount(api, resend, 'mfaB');
    const emmasPhone = new SoftwareAuthenticator();
    const johnsPhone = new SoftwareAuthenticator();
    await registerPasskey(emma, emmasPhone);
    await registerPasskey(john, johnsPhone);
    const login = await api.post('/login', { email: emma.email, password: emma.password });
    const options = await api.post('/login/passkey/options', { mfaToken: login.body.mfaToken });
    // John's authenticator answers the challenge as if it were discoverable.
    const response = await johnsPhone.getAssertion({ ...options.body.options, allowCredentials: [] }, ORIGIN);
    const verified = await api.post('/login/passkey/verify', { challengeId: options.body.challengeId, response });
    expect(verified.status).toBe(401);
    expect(verified.body.error.code).toBe('invalid_passkey');
  });
});
