// Account set-up for tests: sign up, confirm through the emailed link, log in.
import { expect } from 'bun:test';
import type { FakeResend } from './fake-resend.ts';
import { tokenIn } from './fake-resend.ts';
import type { TestClient } from './http.ts';

export interface TestAccount {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;

/** A fresh username and email that no other test in this process uses. */
export function uniqueIdentity(prefix = 'user') {
  counter++;
  const tag = `${prefix}${counter}${Math.random().toString(36).slice(2, 6)}`.toLowerCase();
  return { username: tag, email: `${tag}@example.com`, password: `pw-${tag}-secret` };
}

/** Signs up, clicks the confirmation link from the email, and logs in. */
export async function createAccount(api: TestClient, resend: FakeResend, prefix = 'user'): Promise<TestAccount> {
  const identity = uniqueIdentity(prefix);
  const signup = await api.post('/signup', identity);
  expect(signup.status).toBe(201);
  const email = await resend.waitForEmail(identity.email, /confirm/i);
  const verified = await api.post('/verify-email', { token: tokenIn(email) });
  expect(verified.status).toBe(200);
  const login = await api.post('/login', { email: identity.email, password: identity.password });
  expect(login.status).toBe(200);
  return {
    id: signup.body.user.id,
    ...identity,
    accessToken: login.body.accessToken,
    refreshToken: login.body.refreshToken,
  };
}
