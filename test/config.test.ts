import { describe, expect, it } from 'bun:test';
import { resolve } from 'node:path';
import { ConfigError, helpText, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('gives every setting a default that works on a laptop', () => {
    const config = loadConfig([], {});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.databaseUrl).toBe(`file:${resolve('./data/chat.db')}`);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.webauthnRpId).toBe('localhost');
    expect(config.uploadDir).toBe(resolve('./data/uploads'));
    expect(config.uploadMaxBytes).toBe(25_000_000);
    expect(config.eventRetention).toBe(30 * 86_400_000);
    expect(config.rateLimit).toBe(60);
    expect(config.logLevel).toBe('info');
    expect(config.jwtSecret).toBe('');
    expect(config.redisUrl).toBe('');
  });

  it('reads environment variables and derives dependent defaults from them', () => {
    const config = loadConfig([], {
      PORT: '8080',
      DATA_DIR: '/srv/chat',
      PUBLIC_URL: 'https://chat.example.com/',
      RATE_LIMIT: 'off',
      EVENT_RETENTION: '12h',
      UPLOAD_MAX_BYTES: '5MB',
    });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe('file:/srv/chat/chat.db');
    expect(config.uploadDir).toBe('/srv/chat/uploads');
    expect(config.publicUrl).toBe('https://chat.example.com');
    expect(config.webauthnRpId).toBe('chat.example.com');
    expect(config.rateLimit).toBe('off');
    expect(config.eventRetention).toBe(12 * 3_600_000);
    expect(config.uploadMaxBytes).toBe(5_000_000);
  });

  it('lets flags win over the environment, in both --flag value and --flag=value forms', () => {
    const config = loadConfig(['--port', '4000', '--database-url=libsql://db.turso.io', '--log-level', 'debug'], {
      PORT: '5000',
      DATABASE_URL: 'file:/x.db',
    });
    expect(config.port).toBe(4000);
    expect(config.databaseUrl).toBe('libsql://db.turso.io');
    expect(config.logLevel).toBe('debug');
  });

  it('lists every invalid setting in one error', () => {
    let caught: unknown;
    try {
      loadConfig([], {
        PORT: '70000',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'postgres://x',
        JWT_SECRET: 'short',
        REDIS_URL: 'http://x',
        EVENT_RETENTION: 'forever',
        UPLOAD_MAX_BYTES: 'big',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'JWT_SECRET', 'REDIS_URL', 'EVENT_RETENTION', 'UPLOAD_MAX_BYTES']) {
      expect(message).toContain(name);
    }
    expect(message).toContain("got '70000'");
  });

  it('refuses unknown flags and flags without a value', () => {
    expect(() => loadConfig(['--prot', '1'], {})).toThrow("unknown argument '--prot'");
    expect(() => loadConfig(['--port'], {})).toThrow('--port needs a value');
  });
});

describe('--help', () => {
  it('documents every setting of API.md with its flag and env name', () => {
    const text = helpText();
    const names = ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'DATABASE_AUTH_TOKEN', 'JWT_SECRET', 'PUBLIC_URL',
      'WEBAUTHN_RP_ID', 'RESEND_API_KEY', 'EMAIL_FROM', 'REDIS_URL', 'UPLOAD_DIR', 'S3_BUCKET', 'RATE_LIMIT', 'LOG_LEVEL'];
    for (const name of names) {
      expect(text).toContain(name);
      expect(text).toContain(`--${name.toLowerCase().replaceAll('_', '-')}`);
    }
  });

  it('is printed by the server entry, which exits 0', () => {
    const result = Bun.spawnSync([process.execPath, 'src/index.ts', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.toString()).toContain('--data-dir');
  });

  it('stops the boot with a clear message and exit code 2 on an invalid setting', () => {
    const result = Bun.spawnSync([process.execPath, 'src/index.ts', '--port', 'abc']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("PORT (--port): must be a whole number from 0 to 65535, got 'abc'");
  });
});

describe('the README', () => {
  it('documents every setting --help lists', async () => {
    const readme = await Bun.file(`${import.meta.dir}/../README.md`).text();
    const names = [...helpText().matchAll(/^ {2}--[\w-]+ +([A-Z0-9_]+)/gm)].map((match) => match[1]!);
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) expect(readme).toContain(name);
  });
});
