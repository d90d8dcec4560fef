// The one schema of settings: each has an env name, a flag of the binary, a default and a line of doc.
import { join, resolve } from 'node:path';

type Raw = string | undefined;

/** The settings some defaults derive from; they are declared, and so read, before the ones that use them. */
interface Earlier {
  port?: number;
  dataDir?: string;
  publicUrl?: string;
}

interface Setting<T> {
  env: string;
  doc: string;
  /** Shown by --help. */
  defaultText: string;
  parse: (raw: Raw, earlier: Earlier) => T;
}

/** A setting's value could not be used; the boot stops with its message. */
export class ConfigError extends Error {}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function integer(min: number, max: number, fallback: number) {
  return (raw: Raw): number => {
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`must be a whole number from ${min} to ${max}, got '${raw}'`);
    }
    return value;
  };
}

function text(fallback = '') {
  return (raw: Raw): string => (raw === undefined ? fallback : raw.trim());
}

function optionalUrl(protocols: string[]) {
  return (raw: Raw): string => {
    if (!raw) return '';
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`must be a URL, got '${raw}'`);
    }
    if (!protocols.includes(url.protocol)) {
      throw new ConfigError(`must start with ${protocols.join(' or ')}, got '${raw}'`);
    }
    return raw;
  };
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `15m`, `12h`, `30d` into milliseconds. */
function duration(fallback: string) {
  return (raw: Raw): number => {
    const value = raw === undefined || raw === '' ? fallback : raw.trim();
    const match = /^(\d+)\s*([smhd])$/.exec(value);
    if (!match) throw new ConfigError(`must be a duration like 90s, 15m, 12h or 30d, got '${value}'`);
    return Number(match[1]) * DURATION_UNITS[match[2]!]!;
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1_000, mb: 1_000_000, gb: 1_000_000_000 };

/** Parses `25MB`, `512kb` or a plain byte count. */
function size(fallback: string) {
  return (raw: Raw): number => {
    const value = (raw === undefined || raw === '' ? fallback : raw).trim().toLowerCase();
    const match = /^(\d+)\s*(b|kb|mb|gb)?$/.exec(value);
    if (!match) throw new ConfigError(`must be a size like 25MB, 512KB or a byte count, got '${value}'`);
    return Number(match[1]) * SIZE_UNITS[match[2] ?? '']!;
  };
}

const settings = {
  port: {
    env: 'PORT',
    doc: 'TCP port to listen on (0 picks a free one).',
    defaultText: '3000',
    parse: integer(0, 65_535, 3000),
  },
  host: {
    env: 'HOST',
    doc: 'Interface to listen on.',
    defaultText: '0.0.0.0',
    parse: text('0.0.0.0'),
  },
  dataDir: {
    env: 'DATA_DIR',
    doc: 'Folder for the database file, generated secrets, the email outbox and uploads; created on first run.',
    defaultText: './data',
    parse: (raw: Raw) => resolve(raw || './data'),
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    doc: 'libSQL URL: file:… for a local file, libsql://… or https://… for Turso.',
    defaultText: 'file:<DATA_DIR>/chat.db',
    parse: (raw: Raw, earlier: Earlier) => {
      if (!raw) return `file:${join(earlier.dataDir!, 'chat.db')}`;
      if (!/^(file|libsql|https?|wss?):/.test(raw)) {
        throw new ConfigError(`must start with file:, libsql:, https: or wss:, got '${raw}'`);
      }
      return raw;
    },
  },
  databaseAuthToken: {
    env: 'DATABASE_AUTH_TOKEN',
    doc: 'Auth token for a remote libSQL database (Turso).',
    defaultText: '',
    parse: text(),
  },
  jwtSecret: {
    env: 'JWT_SECRET',
    doc: 'Secret that signs access tokens (32+ characters); generated and kept in DATA_DIR when unset. Set the same one on every node.',
    defaultText: 'generated',
    parse: (raw: Raw) => {
      if (raw && raw.length < 32) throw new ConfigError('must be at least 32 characters long');
      return raw ?? '';
    },
  },
  accessTokenTtl: {
    env: 'ACCESS_TOKEN_TTL',
    doc: 'Lifetime of an access token (a JWT that is not checked against the database).',
    defaultText: '15m',
    parse: duration('15m'),
  },
  refreshTokenTtl: {
    env: 'REFRESH_TOKEN_TTL',
    doc: 'How long a session lasts unused; each refresh starts it again.',
    defaultText: '30d',
    parse: duration('30d'),
  },
  publicUrl: {
    env: 'PUBLIC_URL',
    doc: 'The URL users reach the server at: links in emails and the WebAuthn origin.',
    defaultText: 'http://localhost:<PORT>',
    parse: (raw: Raw, earlier: Earlier) =>
      optionalUrl(['http:', 'https:'])(raw).replace(/\/+$/, '') || `http://localhost:${earlier.port || 3000}`,
  },
  webauthnRpId: {
    env: 'WEBAUTHN_RP_ID',
    doc: 'WebAuthn relying party ID (a domain); passkeys are bound to it.',
    defaultText: 'host name of PUBLIC_URL',
    parse: (raw: Raw, earlier: Earlier) => raw?.trim() || new URL(earlier.publicUrl!).hostname,
  },
  resendApiKey: {
    env: 'RESEND_API_KEY',
    doc: 'Resend API key; without it, emails go to the log and DATA_DIR/outbox/.',
    defaultText: '',
    parse: text(),
  },
  resendBaseUrl: {
    env: 'RESEND_BASE_URL',
    doc: "Resend API base URL (the SDK's own setting), for a proxy or a local stand-in.",
    defaultText: 'https://api.resend.com',
    parse: optionalUrl(['http:', 'https:']),
  },
  emailFrom: {
    env: 'EMAIL_FROM',
    doc: 'Sender of every email.',
    defaultText: 'Chat <no-reply@localhost>',
    parse: text('Chat <no-reply@localhost>'),
  },
  redisUrl: {
    env: 'REDIS_URL',
    doc: 'Redis URL for cross-node fan-out; unset runs a single node.',
    defaultText: '',
    parse: optionalUrl(['redis:', 'rediss:']),
  },
  uploadDir: {
    env: 'UPLOAD_DIR',
    doc: 'Folder for uploaded files when no S3 bucket is set.',
    defaultText: '<DATA_DIR>/uploads',
    parse: (raw: Raw, earlier: Earlier) => resolve(raw || join(earlier.dataDir!, 'uploads')),
  },
  s3Bucket: {
    env: 'S3_BUCKET',
    doc: 'S3-compatible bucket for uploads; when set, files go there instead of UPLOAD_DIR.',
    defaultText: '',
    parse: text(),
  },
  s3Endpoint: {
    env: 'S3_ENDPOINT',
    doc: 'S3 endpoint URL (for MinIO, R2 and other S3-compatible stores).',
    defaultText: '',
    parse: optionalUrl(['http:', 'https:']),
  },
  s3Region: {
    env: 'S3_REGION',
    doc: 'S3 region.',
    defaultText: '',
    parse: text(),
  },
  s3AccessKeyId: {
    env: 'S3_ACCESS_KEY_ID',
    doc: 'S3 access key id.',
    defaultText: '',
    parse: text(),
  },
  s3SecretAccessKey: {
    env: 'S3_SECRET_ACCESS_KEY',
    doc: 'S3 secret access key.',
    defaultText: '',
    parse: text(),
  },
  uploadMaxBytes: {
    env: 'UPLOAD_MAX_BYTES',
    doc: 'Largest accepted upload.',
    defaultText: '25MB',
    parse: size('25MB'),
  },
  slowConsumerLimit: {
    env: 'SLOW_CONSUMER_LIMIT',
    doc: 'A socket with more than this waiting to be sent is closed with 4001 (reconnect and resume) instead of losing events.',
    defaultText: '4MB',
    parse: size('4MB'),
  },
  groupMemberLimit: {
    env: 'GROUP_MEMBER_LIMIT',
    doc: 'Most members a group may have.',
    defaultText: '1000',
    parse: integer(2, 100_000, 1_000),
  },
  rateLimit: {
    env: 'RATE_LIMIT',
    doc: "Requests per minute per client on rate-limited routes, or 'off' (for benchmarks).",
    defaultText: '60',
    parse: (raw: Raw): number | 'off' => (raw?.trim() === 'off' ? 'off' : integer(1, 1_000_000, 60)(raw)),
  },
  presenceGrace: {
    env: 'PRESENCE_GRACE',
    doc: "How long after a user's last socket closes they show offline (a quick reconnect does not flicker).",
    defaultText: '5s',
    parse: duration('5s'),
  },
  eventRetention: {
    env: 'EVENT_RETENTION',
    doc: 'How long real-time events are kept for resume; older cursors get RESYNC_REQUIRED.',
    defaultText: '30d',
    parse: duration('30d'),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    doc: `Least severe log line written: ${LOG_LEVELS.join(', ')}.`,
    defaultText: 'info',
    parse: (raw: Raw): LogLevel => {
      const value = (raw?.trim() || 'info').toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(value)) {
        throw new ConfigError(`must be one of ${LOG_LEVELS.join(', ')}, got '${raw}'`);
      }
      return value as LogLevel;
    },
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/** `DATA_DIR` → `--data-dir`. */
function flagOf(env: string): string {
  return `--${env.toLowerCase().replaceAll('_', '-')}`;
}

/** Reads `--name value` and `--name=value` pairs; unknown flags are an error. */
function parseFlags(argv: string[]): Record<string, string> {
  const byFlag = new Map(Object.values(settings).map((setting) => [flagOf(setting.env), setting.env]));
  const values: Record<string, string> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const [flag, inlineValue] = argument.includes('=') ? argument.split(/=(.*)/s, 2) : [argument, undefined];
    const env = byFlag.get(flag!);
    if (!env) throw new ConfigError(`unknown argument '${argument}' (see --help)`);
    const value = inlineValue ?? argv[++index];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    values[env] = value;
  }
  return values;
}

/**
 * Builds the config from flags (which win) and environment variables.
 * Settings are read in declaration order, so a default may depend on an earlier setting.
 * Throws ConfigError listing every invalid setting.
 */
export function loadConfig(argv: string[] = [], env: Record<string, string | undefined> = process.env): Config {
  const flags = parseFlags(argv);
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(settings) as [keyof Config, Setting<unknown>][]) {
    const raw = flags[setting.env] ?? env[setting.env];
    try {
      values[key] = setting.parse(raw, values);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(`  ${setting.env} (${flagOf(setting.env)}): ${error.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return values as Config;
}

/** The text of `--help`: every setting with its flag, env name, default and doc. */
export function helpText(): string {
  const lines = [
    'Usage: chat-server [--flag value]...',
    '',
    'Every setting is a flag or an environment variable (the flag wins).',
    '',
  ];
  for (const setting of Object.values(settings)) {
    const fallback = setting.defaultText ? ` (default: ${setting.defaultText})` : '';
    lines.push(`  ${flagOf(setting.env).padEnd(24)} ${setting.env}${fallback}`);
    lines.push(`  ${''.padEnd(24)} ${setting.doc}`);
  }
  lines.push('', '  --help                   Print this text and exit.');
  return lines.join('\n');
}
