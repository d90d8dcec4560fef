// An independent RFC 6238 TOTP generator, so tests compute codes the way an authenticator app does.
import { createHmac } from 'node:crypto';

function base32ToBytes(secret: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const character of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(character).toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => parseInt(byte, 2)));
}

/** The 6-digit code an app shows for `secret` at `timeMs` (offset by whole 30 s steps with `stepOffset`). */
export function authenticatorCode(secret: string, timeMs = Date.now(), stepOffset = 0): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 30_000) + stepOffset));
  const hmac = createHmac('sha1', base32ToBytes(secret)).update(counter).digest();
  const offset = hmac[19]! & 0xf;
  const code = (hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}
