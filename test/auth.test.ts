import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Client } from '@libsql/client';
import { createAccount, uniqueIdentity } from './helpers/accounts.ts';
import { linkIn, tokenIn, type FakeResend } from './helpers/fake-resend.ts';
import type { TestClient } from './helpers/http.ts';
import { startEmailTestServer, type EmailTestServer } from './helpers/server.ts';

let server: EmailTestServer;
let api: TestClient;
let resend: FakeResend;
let db: Client;

beforeAll(async () => {
  server = await startEmailTestServer({ PUBLIC_URL: 'http://chat.test' });
  ({ api, resend, db } = server);
});
afterAll(() => server.stop());

/** The server's link points at PUBLIC_URL; tests follow it on the real address. */
function onServer(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

describe('signup', () => {
  it('creates an unconfirmed account and emails a confirmation link', async () => {
    const identity = uniqueIdentity('emma');
    const response = await api.post('/signup', { ...identity, username: identity.username.toUpperCase() });
    expect(response.status).toBe(201);
    const user = response.body.user;
    expect(user.username).toBe(identity.username);
    expect(user.email).toBe(identity.email);
    expect(user.emailVerified).toBe(false);
    expect(user.mfa).toEqual({ totp: false, passkeys: 0 });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(response.body)).not.toContain('argon2');

    const email = await resend.waitForEmail(identity.email, /confirm/i);
    expect(email.from).toContain('no-reply');
    const link = linkIn(email);
    expect(link.startsWith('http://chat.test/verify-email?token=')).toBe(true);
    expect(email.html).toContain(link.replaceAll('&', '&#38;'));
  });

  it('refuses login until the email is confirmed, then the link confirms it once', async () => {
    const identity = uniqueIdentity('john');
    await api.post('/signup', identity);
    const before = await api.post('/login', { email: identity.email, password: identity.password });
    expect(before.status).toBe(403);
    expect(before.body.error.code).toBe('email_not_verified');

    const email = await resend.waitForEmail(identity.email, /confirm/i);
    const page = await api.get(onServer(linkIn(email)));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('Email confirmed');

    const again = await api.post('/verify-email', { token: tokenIn(email) });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_token');
    expect((await api.get(onServer(linkIn(email)))).body).toContain('not valid');

    const after = await api.post('/login', { email: identity.email.toUpperCase(), password: identity.password });
    expect(after.status).toBe(200);
    expect(after.body.user.emailVerified).toBe(true);
  });

  it('refuses an expired confirmation token', async () => {
    const identity = uniqueIdentity('late');
    await api.post('/signup', identity);
    const email = await resend.waitForEmail(identity.email, /confirm/i);
    await db.execute({
      sql: "UPDATE email_tokens SET expires_at = ? WHERE user_id = (SELECT id FROM users WHERE email = ?)",
      args: [Date.now() - 1, identity.email],
    });
    const response = await api.post('/verify-email', { token: tokenIn(email) });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_token');
  });

  it('keeps usernames and emails unique whatever their case', async () => {
    const identity = uniqueIdentity('dup');
    expect((await api.post('/signup', identity)).status).toBe(201);
    const sameName = await api.post('/signup', { ...uniqueIdentity(), username: identity.username.toUpperCase() });
    expect(sameName.status).toBe(409);
    expect(sameName.body.error.code).toBe('username_taken');
    const sameEmail = await api.post('/signup', { ...uniqueIdentity(), email: ` ${identity.email.toUpperCase()} `.trim() });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.error.code).toBe('email_taken');
  });

  it('says which fields are wrong', async () => {
    const response = await api.post('/signup', { username: 'a!', email: 'not-an-email', password: 'short' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    const fields = response.body.error.details.map((problem: { field: string }) => problem.field);
    expect(fields).toEqual(expect.arrayContaining(['username', 'email', 'password']));
  });

  it('resends a confirmation without revealing whether the address exists', async () => {
    const identity = uniqueIdentity('again');
    await api.post('/signup', identity);
    await resend.waitForEmail(identity.email, /confirm/i);
    const since = resend.emails.length;
    const known = await api.post('/verify-email/resend', { email: identity.email });
    const unknown = await api.post('/verify-email/resend', { email: 'nobody-here@example.com' });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    const second = await resend.waitForEmail(identity.email, /confirm/i, since);
    expect(tokenIn(second)).not.toBe('');
    expect(resend.emails.slice(since).some((email) => email.to === 'nobody-here@example.com')).toBe(false);
  });

  it('retries a failed send until Resend takes it', async () => {
    resend.failNext(2);
    const identity = uniqueIdentity('retry');
    expect((await api.post('/signup', identity)).status).toBe(201);
    const email = await resend.waitForEmail(identity.email, /confirm/i);
    expect(tokenIn(email).length).toBeGreaterThan(20);
  });
});

describe('login and sessions', () => {
  it('answers an unknown email and a wrong password with the same 401, in comparable time', async () => {
    const account = await createAccount(api, resend, 'login');
    const timed = async (body: object) => {
      const started = performance.now();
      const response = await api.post('/login', body);
      return { response, ms: performance.now() - started };
    };
    const wrongPassword = await timed({ email: account.email, password: 'wrong-password' });
    const unknownEmail = await timed({ email: 'nobody@example.com', password: 'wrong-password' });
    expect(wrongPassword.response.status).toBe(401);
    expect(unknownEmail.response.status).toBe(401);
    expect(unknownEmail.response.body).toEqual(wrongPassword.response.body);
    expect(wrongPassword.response.body.error.code).toBe('invalid_credentials');
    // Both paths run one argon2id verification; an early return for unknown emails would take ~0 ms.
    expect(unknownEmail.ms).toBeGreaterThan(wrongPassword.ms / 4);
  });

  it('gives a short-lived access token that opens the profile', async () => {
    const account = await createAccount(api, resend, 'token');
    const profile = await api.get('/profile', { token: account.accessToken });
    expect(profile.status).toBe(200);
    expect(profile.body.user.username).toBe(account.username);
    expect(profile.body.user.email).toBe(account.email);
    const login = await api.post('/login', { email: account.email, password: account.password });
    expect(login.body.expiresIn).toBe(900);

    expect((await api.get('/profile')).body.error.code).toBe('unauthenticated');
    expect((await api.get('/profile', { token: 'not.a.jwt' })).status).toBe(401);
    expect((await api.get('/profile', { token: `${account.accessToken}x` })).status).toBe(401);
  });

  it('rotates the refresh token on every use', async () => {
    const account = await createAccount(api, resend, 'rotate');
    const first = await api.post('/token/refresh', { refreshToken: account.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(account.refreshToken);
    expect((await api.get('/profile', { token: first.body.accessToken })).status).toBe(200);
    const second = await api.post('/token/refresh', { refreshToken: first.body.refreshToken });
    expect(second.status).toBe(200);
  });

  it('revokes the whole family when a rotated refresh token is used again', async () => {
    const account = await createAccount(api, resend, 'reuse');
    const rotated = await api.post('/token/refresh', { refreshToken: account.refreshToken });
    const replay = await api.post('/token/refresh', { refreshToken: account.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('invalid_refresh_token');
    // The legitimate holder's newer token is dead too: the thief and the owner both log in again.
    const newest = await api.post('/token/refresh', { refreshToken: rotated.body.refreshToken });
    expect(newest.status).toBe(401);
    // Other sessions of the same user are untouched.
    const other = await api.post('/login', { email: account.email, password: account.password });
    expect((await api.post('/token/refresh', { refreshToken: other.body.refreshToken })).status).toBe(200);
  });

  it('refuses an expired refresh token', async () => {
    const account = await createAccount(api, resend, 'expired');
    await db.execute({ sql: 'UPDATE refresh_tokens SET expires_at = ? WHERE user_id = ?', args: [Date.now() - 1, account.id] });
    expect((await api.post('/token/refresh', { refreshToken: account.refreshToken })).status).toBe(401);
  });

  it('ends the session on logout', async () => {
    const account = await createAccount(api, resend, 'logout');
    const logout = await api.post('/logout', { refreshToken: account.refreshToken });
    expect(logout.status).toBe(204);
    expect((await api.post('/token/refresh', { refreshToken: account.refreshToken })).status).toBe(401);
  });
});

describe('passwords', () => {
  it('changes the password and signs out every other session', async () => {
    const account = await createAccount(api, resend, 'change');
    const other = await api.post('/login', { email: account.email, password: account.password });
    const wrong = await api.put('/profile/password', { currentPassword: 'nope-nope', newPassword: 'a-new-password' }, { token: account.accessToken });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_password');

    const changed = await api.put('/profile/password', { currentPassword: account.password, newPassword: 'a-new-password' }, { token: account.accessToken });
    expect(changed.status).toBe(204);
    expect((await api.post('/token/refresh', { refreshToken: other.body.refreshToken })).status).toBe(401);
    expect((await api.post('/token/refresh', { refreshToken: account.refreshToken })).status).toBe(200);
    expect((await api.post('/login', { email: account.email, password: account.password })).status).toBe(401);
    expect((await api.post('/login', { email: account.email, password: 'a-new-password' })).status).toBe(200);
  });

  it('resets a forgotten password through an emailed single-use link', async () => {
    const account = await createAccount(api, resend, 'forgot');
    const since = resend.emails.length;
    const unknown = await api.post('/password/forgot', { email: 'ghost@example.com' });
    const known = await api.post('/password/forgot', { email: account.email });
    expect(known.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    const email = await resend.waitForEmail(account.email, /reset/i, since);
    const page = await api.get(onServer(linkIn(email)));
    expect(page.body).toContain('<form');

    const reset = await api.post('/password/reset', { token: tokenIn(email), newPassword: 'brand-new-password' });
    expect(reset.status).toBe(204);
    expect((await api.post('/token/refresh', { refreshToken: account.refreshToken })).status).toBe(401);
    expect((await api.post('/login', { email: account.email, password: 'brand-new-password' })).status).toBe(200);
    const reused = await api.post('/password/reset', { token: tokenIn(email), newPassword: 'another-password' });
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe('invalid_token');
  });

  it('deletes the account only with the password', async () => {
    const account = await createAccount(api, resend, 'delete');
    const wrong = await api.request('DELETE', '/profile', { body: { password: 'wrong-one' }, token: account.accessToken });
    expect(wrong.status).toBe(401);
    const deleted = await api.request('DELETE', '/profile', { body: { password: account.password }, token: account.accessToken });
    expect(deleted.status).toBe(204);
    expect((await api.post('/login', { email: account.email, password: account.password })).status).toBe(401);
    expect((await api.get('/profile', { token: account.accessToken })).status).toBe(401);
    expect((await api.post('/token/refresh', { refreshToken: account.refreshToken })).status).toBe(401);
  });
});

describe('profiles', () => {
  it('updates the display name and bio, and shows others only the public fields', async () => {
    const emma = await createAccount(api, resend, 'pemma');
    const john = await createAccount(api, resend, 'pjohn');
    const updated = await api.put('/profile', { displayName: 'Emma W.', bio: 'Hi!' }, { token: emma.accessToken });
    expect(updated.body.user).toMatchObject({ displayName: 'Emma W.', bio: 'Hi!' });

    const seen = await api.get(`/users/${emma.id}`, { token: john.accessToken });
    expect(seen.status).toBe(200);
    expect(seen.body.user).toMatchObject({ id: emma.id, username: emma.username, displayName: 'Emma W.' });
    expect(seen.body.user.email).toBeUndefined();
    expect(seen.body.user.mfa).toBeUndefined();
    expect((await api.get('/users/nope', { token: john.accessToken })).status).toBe(404);
  });

  it('finds people by the start of their username, a page at a time', async () => {
    const finder = await createAccount(api, resend, 'zfind');
    for (let index = 0; index < 3; index++) await createAccount(api, resend, 'searchme');
    const first = await api.get('/users?search=searchme&limit=2', { token: finder.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await api.get(`/users?search=searchme&limit=2&before=${first.body.nextCursor}`, { token: finder.accessToken });
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const names = [...first.body.items, ...second.body.items].map((user: { username: string }) => user.username);
    expect(new Set(names).size).toBe(3);
    expect(names.every((name) => name.startsWith('searchme'))).toBe(true);
    expect((await api.get('/users?search=%25', { token: finder.accessToken })).body.items).toEqual([]);
  });
});
