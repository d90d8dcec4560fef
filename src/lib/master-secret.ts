// The server's master secret: JWT_SECRET, or one generated once and kept in DATA_DIR.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken } from './crypto.ts';

/**
 * Keys for access tokens and for TOTP secrets at rest are derived from this one secret. Changing it
 * signs everyone out and makes enrolled TOTP secrets unreadable, so it is generated once and kept.
 */
export function loadMasterSecret(settings: { jwtSecret: string; dataDir: string }): string {
  if (settings.jwtSecret) return settings.jwtSecret;
  const file = join(settings.dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(settings.dataDir, { recursive: true });
  const secret = randomToken(48);
  // 0600: only the server's user may read it.
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
