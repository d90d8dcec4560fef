import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { t } from 'elysia';
import { createApp, createDependencies } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createClient, type TestClient } from './helpers/http.ts';
import { makeTempDir } from './helpers/server.ts';

// The real app plus two probe routes, so each failure kind can be provoked on purpose.
const dataDir = makeTempDir();
let api: TestClient;
let stop: () => void;

beforeAll(async () => {
  const config = loadConfig([], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const db = await openDatabase(config);
  await migrateDatabase(db.$client);
  const app = createApp(await createDependencies(config, db, createLogger('silent')))
    .post('/probe/echo', ({ body }) => body, {
      body: t.Object({ name: t.String({ minLength: 3 }), age: t.Integer({ minimum: 0 }) }),
    })
    .get('/probe/crash', () => {
      throw new Error('SELECT secret FROM users -- at crash (/src/secret.ts:1:1)');
    })
    .listen({ port: 0, hostname: '127.0.0.1' });
  api = createClient(`http://127.0.0.1:${app.server!.port}`);
  stop = () => {
    app.stop(true);
    db.$client.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
});
afterAll(() => stop());

describe('probes', () => {
  it('answers /health while the process is up', async () => {
    const response = await api.get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('answers /ready when the database answers', async () => {
    const response = await api.get('/ready');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('gives every response a request id, keeping a sane one the client sent', async () => {
    expect((await api.get('/health')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await api.get('/health', { headers: { 'x-request-id': 'trace-123' } });
    expect(traced.headers.get('x-request-id')).toBe('trace-123');
  });
});

describe('the error shape', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const response = await api.get('/no/such/route');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'not_found', message: 'No route for GET /no/such/route' } });
  });

  it('answers a wrong method with 405 and the allowed ones', async () => {
    const response = await api.delete('/health');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(response.body.error.code).toBe('method_not_allowed');
    expect(response.body.error.details).toEqual({ allowed: ['GET'] });
  });

  it('answers a body that breaks the schema with 400 validation_failed and the fields at fault', async () => {
    const response = await api.post('/probe/echo', { name: 'ab', age: -1 });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    const fields = response.body.error.details.map((problem: { field: string }) => problem.field);
    expect(fields).toContain('name');
    expect(fields).toContain('age');
  });

  it('answers malformed JSON with 400', async () => {
    const response = await api.request('POST', '/probe/echo', {
      body: '{"name": "abc", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
  });

  it('answers a body that is not JSON with 415', async () => {
    const response = await api.request('POST', '/probe/echo', {
      body: 'name=abc',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
  });

  it('answers a body over the size limit with 413 before reading it', async () => {
    const response = await api.post('/probe/echo', { name: 'x'.repeat(1_100_000), age: 1 });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('answers an unexpected exception with 500, a request id, and no stack or SQL', async () => {
    const response = await api.get('/probe/crash');
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe('internal');
    expect(response.body.error.details.requestId).toBe(response.headers.get('x-request-id'));
    const text = JSON.stringify(response.body);
    expect(text).not.toContain('SELECT');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('.ts');
  });

  it('accepts the same request when it is valid', async () => {
    const response = await api.post('/probe/echo', { name: 'abc', age: 3 });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ name: 'abc', age: 3 });
  });
});

describe('API docs', () => {
  it('serves a valid OpenAPI 3 document with titles, tags and the bearer scheme', async () => {
    const response = await api.get('/swagger/json');
    expect(response.status).toBe(200);
    const document = response.body;
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('Chat API');
    expect(document.paths['/health'].get.tags).toEqual(['System']);
    expect(document.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    await SwaggerParser.validate(structuredClone(document));
  });

  it('serves Swagger UI whose assets come from this server, not a CDN', async () => {
    const page = await api.get('/swagger');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="swagger-ui">');
    expect(page.body).not.toMatch(/(src|href)="https?:/);
    const script = page.body.match(/src="([^"]+)"/)[1];
    const style = page.body.match(/rel="stylesheet" href="([^"]+)"/)[1];
    const bundle = await api.get(script);
    expect(bundle.status).toBe(200);
    expect(bundle.body).toContain('SwaggerUIBundle');
    expect((await api.get(style)).status).toBe(200);
  });
});
