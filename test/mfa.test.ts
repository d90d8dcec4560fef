import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Client } from '@libsql/client';
import { currentStep, totpCode } from '../src/modules/mfa/totp.ts';
import { createAccount, type TestAccount } from './helpers/accounts.ts';
import type { FakeResend } from './helpers/fake-resend.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';
import { authenticatorCode } from './helpers/totp.ts';

let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;
let db: Client;

beforeAll(async () => {
  server = await startEmailTestServer();
  ({ api, resend, db } = server);
});
afterAll(() => server.stop());

/** Sets up and enables TOTP; returns the secret and the recovery codes. */
async function enableTotp(account: TestAccount) {
  const setup = await api.post('/mfa/totp/setup', undefined, { token: account.accessToken });
  expect(setup.status).toBe(200);
  const enabled = await api.post('/mfa/totp/enable', { code: authenticatorCode(setup.body.secret) }, { token: account.accessToken });
  expect(enabled.status).toBe(200);
  return { secret: setup.body.secret as string, recoveryCodes: enabled.body.recoveryCodes as string[] };
}

async function passwordLogin(account: TestAccount) {
  return api.post('/login', { email: account.email, password: account.password });
}

describe('the TOTP implementation', () => {
  it('matches the RFC 6238 test vector', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); we use the last 6.
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totpCode(secret, currentStep(59_000))).toBe('287082');
    expect(totpCode(secret, currentStep(1_111_111_109_000))).toBe('081804');
  });
});

describe('TOTP enrolment', () => {
  it('returns the secret, an otpauth URI and a QR code, and stays off until a code confirms it', async () => {
    const account = await createAccount(api, resend, 'totp');
    const setup = await api.post('/mfa/totp/setup', undefined, { token: account.accessToken });
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauthUri).toStartWith('otpauth://totp/');
    expect(setup.body.otpauthUri).toContain(`secret=${setup.body.secret}`);
    expect(setup.body.otpauthUri).toContain(encodeURIComponent(account.username));
    expect(setup.body.qrSvg).toStartWith('<svg');

    expect((await passwordLogin(account)).body.accessToken).toBeString();
    const wrong = await api.post('/mfa/totp/enable', { code: '000000' }, { token: account.accessToken });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('invalid_mfa_code');

    const enabled = await api.post('/mfa/totp/enable', { code: authenticatorCode(setup.body.secret) }, { token: account.accessToken });
    expect(enabled.status).toBe(200);
    expect(enabled.body.recoveryCodes).toHaveLength(10);
    expect(new Set(enabled.body.recoveryCodes).size).toBe(10);

    const profile = await api.get('/profile', { token: account.accessToken });
    expect(profile.body.user.mfa).toEqual({ totp: true, passkeys: 0 });
    expect(JSON.stringify(profile.body)).not.toContain(setup.body.secret);
    const again = await api.post('/mfa/totp/setup', undefined, { token: account.accessToken });
    expect(again.status).toBe(409);
  });

  it('stores the secret encrypted and the recovery codes hashed', async () => {
    const account = await createAccount(api, resend, 'atrest');
    const { secret, recoveryCodes } = await enableTotp(account);
    const row = await db.execute({ sql: 'SELECT totp_secret FROM users WHERE id = ?', args: [account.id] });
    expect(String(row.rows[0]!.totp_secret)).toStartWith('v1.');
    expect(String(row.rows[0]!.totp_secret)).not.toContain(secret);
    const codes = await db.execute({ sql: 'SELECT code_hash FROM recovery_codes WHERE user_id = ?', args: [account.id] });
    expect(codes.rows).toHaveLength(10);
    const stored = codes.rows.map((code) => String(code.code_hash)).join();
    for (const code of recoveryCodes) expect(stored).not.toContain(code.replace('-', ''));
  });
});

describe('login with TOTP on', () => {
  it('asks for a second factor, then gives tokens for a current code, once', async () => {
    const account = await createAccount(api, resend, 'second');
    const { secret } = await enableTotp(account);
    const login = await passwordLogin(account);
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ mfaRequired: true, methods: ['totp'] });
    expect(login.body.accessToken).toBeUndefined();
    // The MFA token is not an access token.
    expect((await api.get('/profile', { token: login.body.mfaToken })).status).toBe(401);

    // The code used to enable is spent; the next step's code (within the drift window) is fresh.
    const code = authenticatorCode(secret, Date.now(), 1);
    const wrong = await api.post('/login/mfa', { mfaToken: login.body.mfaToken, code: code === '123456' ? '654321' : '123456' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_mfa_code');
    const ok = await api.post('/login/mfa', { mfaToken: login.body.mfaToken, code });
    expect(ok.status).toBe(200);
    expect((await api.get('/profile', { token: ok.body.accessToken })).body.user.id).toBe(account.id);

    const replay = await api.post('/login/mfa', { mfaToken: (await passwordLogin(account)).body.mfaToken, code });
    expect(replay.status).toBe(401);
  });

  it('accepts each recovery code once', async () => {
    const account = await createAccount(api, resend, 'recover');
    const { recoveryCodes } = await enableTotp(account);
    const first = await api.post('/login/mfa', { mfaToken: (await passwordLogin(account)).body.mfaToken, code: recoveryCodes[0] });
    expect(first.status).toBe(200);
    const reused = await api.post('/login/mfa', { mfaToken: (await passwordLogin(account)).body.mfaToken, code: recoveryCodes[0] });
    expect(reused.status).toBe(401);
    const another = await api.post('/login/mfa', {
      mfaToken: (await passwordLogin(account)).body.mfaToken,
      code: recoveryCodes[1]!.toUpperCase().replace('-', ' '),
    });
    expect(another.status).toBe(200);
  });

  it('refuses a forged or expired MFA token', async () => {
    const response = await api.post('/login/mfa', { mfaToken: 'eyJhbGciOiJIUzI1NiJ9.e30.x', code: '123456' });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('invalid_token');
  });

  it('turns off with the password, and login needs no second factor again', async () => {
    const account = await createAccount(api, resend, 'disable');
    await enableTotp(account);
    const wrong = await api.post('/mfa/totp/disable', { password: 'not-it-at-all' }, { token: account.accessToken });
    expect(wrong.status).toBe(401);
    const off = await api.post('/mfa/totp/disable', { password: account.password }, { token: account.accessToken });
    expect(off.status).toBe(204);
    expect((await passwordLogin(account)).body.accessToken).toBeString();
    const codes = await db.execute({ sql: 'SELECT count(*) AS count FROM recovery_codes WHERE user_id = ?', args: [account.id] });
    expect(Number(codes.rows[0]!.count)).toBe(0);
  });

  it('replaces the recovery codes on request', async () => {
    const account = await createAccount(api, resend, 'regen');
    const { recoveryCodes } = await enableTotp(account);
    const renewed = await api.post('/mfa/recovery-codes', { password: account.password }, { token: account.accessToken });
    expect(renewed.body.recoveryCodes).toHaveLength(10);
    const old = await api.post('/login/mfa', { mfaToken: (await passwordLogin(account)).body.mfaToken, code: recoveryCodes[2] });
    expect(old.status).toBe(401);
    const fresh = await api.post('/login/mfa', { mfaToken: (await passwordLogin(account)).body.mfaToken, code: renewed.body.recoveryCodes[0] });
    expect(fresh.status).toBe(200);
  });
});
