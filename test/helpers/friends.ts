// Makes two test accounts friends through the API, as users would.
import { expect } from 'bun:test';
import type { TestAccount } from './accounts.ts';
import type { TestClient } from './http.ts';

export async function makeFriends(api: TestClient, a: TestAccount, b: TestAccount): Promise<void> {
  const request = await api.post('/friends/add', { userId: b.id }, { token: a.accessToken });
  expect(request.status).toBe(201);
  const accepted = await api.post(`/friends/requests/${request.body.request.id}/accept`, undefined, { token: b.accessToken });
  expect(accepted.status).toBe(200);
}
