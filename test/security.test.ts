import { afterAll, describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from './helpers/http.ts';
import { uniqueIdentity } from './helpers/accounts.ts';
import { spawnServer } from './helpers/process.ts';
import { makeTempDir, startTestServer } from './helpers/server.ts';
import { authenticatorCode } from './helpers/totp.ts';

describe('rate limits', () => {
  it('answers 429 with Retry-After past RATE_LIMIT requests per minute from one IP', async () => {
    const server = await startTestServer({ RATE_LIMIT: '3' });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 4; attempt++) {
        statuses.push((await server.api.post('/signup', { username: 'x', email: 'bad', password: 'short' })).status);
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
      const limited = await server.api.post('/signup', uniqueIdentity());
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      // Another scope keeps its own budget.
      expect((await server.api.post('/login', { email: 'a@b.c', password: 'whatever' })).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('limits login attempts per account whatever the IP budget', async () => {
    const server = await startTestServer({ RATE_LIMIT: '1000' });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 11; attempt++) {
        statuses.push((await server.api.post('/login', { email: 'target@example.com', password: `guess-${attempt}` })).status);
      }
      expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
      expect(statuses[10]).toBe(429);
      expect((await server.api.post('/login', { email: 'other@example.com', password: 'guess' })).status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});

describe('secrets', () => {
  const dataDir = makeTempDir();
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('writes emails to the outbox without Resend, and never logs or answers a secret', async () => {
    const server = await spawnServer([process.execPath, 'src/index.ts'], {
      cwd: join(import.meta.dir, '..'),
      env: { DATA_DIR: dataDir, LOG_LEVEL: 'debug', RATE_LIMIT: 'off' },
    });
    const api = createClient(server.url);
    const identity = uniqueIdentity('secret');
    const answers: string[] = [];
    const record = <T extends { body: unknown }>(response: T) => {
      answers.push(JSON.stringify(response.body));
      return response;
    };

    record(await api.post('/signup', identity));
    let files: string[] = [];
    for (let waited = 0; files.length === 0 && waited < 5_000; waited += 50) {
      await Bun.sleep(50);
      files = readdirSync(join(dataDir, 'outbox'), { withFileTypes: true }).map((entry) => entry.name);
    }
    const email = JSON.parse(readFileSync(join(dataDir, 'outbox', files[0]!), 'utf8'));
    expect(email.to).toBe(identity.email);
    const token = new URL(email.text.match(/https?:\/\/\S+/)[0]).searchParams.get('token')!;
    record(await api.post('/verify-email', { token }));
    const login = record(await api.post('/login', identity));
    const accessToken = login.body.accessToken as string;
    const setup = await api.post('/mfa/totp/setup', undefined, { token: accessToken });
    const enabled = record(await api.post('/mfa/totp/enable', { code: authenticatorCode(setup.body.secret) }, { token: accessToken }));
    record(await api.get('/profile', { token: accessToken }));
    const refreshed = record(await api.post('/token/refresh', { refreshToken: login.body.refreshToken }));
    record(await api.put('/profile/password', { currentPassword: identity.password, newPassword: 'next-password-1' }, { token: accessToken }));
    expect(await server.stop()).toBe(0);

    const logs = server.lines.join('\n') + (await server.stderr);
    expect(logs).toContain('"msg":"request"');
    expect(logs).toContain('/verify-email?token='); // the self-hoster's way to the link
    const secrets = [
      identity.password,
      'next-password-1',
      accessToken,
      login.body.refreshToken,
      refreshed.body.refreshToken,
      setup.body.secret,
      ...enabled.body.recoveryCodes,
    ];
    for (const secret of secrets) expect(logs).not.toContain(secret);
    const answered = answers.join('\n');
    expect(answered).not.toContain('$argon2');
    expect(answered).not.toContain(setup.body.secret);
    expect(answered).not.toMatch(/passwordHash|tokenHash|totpSecret|codeHash/);
  });
});
