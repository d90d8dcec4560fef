import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnServer, type ServerProcess } from './helpers/process.ts';
import { makeTempDir } from './helpers/server.ts';

// The self-hoster's path: one file, copied alone into an empty folder, no Bun and no node_modules beside it.
const folder = makeTempDir('chat-binary-');
let server: ServerProcess;

beforeAll(async () => {
  const build = Bun.spawnSync([process.execPath, 'src/build/compile.ts'], { cwd: join(import.meta.dir, '..') });
  expect(build.exitCode).toBe(0);
  copyFileSync(join(import.meta.dir, '../dist/chat-server'), join(folder, 'chat-server'));
  Bun.spawnSync(['chmod', '+x', join(folder, 'chat-server')]);
  server = await spawnServer(['./chat-server'], { cwd: folder, env: { PATH: '/usr/bin:/bin' } });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe('the compiled binary', () => {
  it('runs from an empty folder and answers /health', async () => {
    expect(readdirSync(folder).sort()).toEqual(['chat-server', 'data']);
    const response = await fetch(`${server.url}/health`);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('creates its data folder and database and applies the migrations', async () => {
    expect(existsSync(join(folder, 'data/chat.db'))).toBe(true);
    expect(server.lines.some((line) => line.includes('"msg":"migrations applied"'))).toBe(true);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });

  it('serves the docs with no external URL', async () => {
    const page = await (await fetch(`${server.url}/swagger`)).text();
    expect(page).toContain('swagger-ui');
    expect(page).not.toMatch(/(src|href)="https?:/);
    const bundle = await fetch(`${server.url}/swagger/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    const spec = (await (await fetch(`${server.url}/swagger/json`)).json()) as { info: { title: string } };
    expect(spec.info.title).toBe('Chat API');
  });

  it('shuts down gracefully on SIGTERM', async () => {
    const exitCode = await server.stop('SIGTERM');
    expect(exitCode).toBe(0);
    expect(server.lines.at(-1)).toContain('"msg":"stopped"');
  });
});
