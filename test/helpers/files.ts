// Files built the way real encoders write them, and upload/download calls, for tests of files.
import { deflateSync } from 'node:zlib';
import type { TestAccount } from './accounts.ts';
import type { TestClient } from './http.ts';

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

export const ascii = (text: string) => new TextEncoder().encode(text);
export const randomBytes = (length: number) => crypto.getRandomValues(new Uint8Array(length));

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, data.length);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, Bun.hash.crc32(concat(ascii(type), data)));
  return concat(header, ascii(type), data, crc);
}

/** A valid RGB PNG of random pixels: signature, IHDR, zlib-compressed IDAT, IEND. */
export function makePng(width: number, height: number): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bits per channel
  header[9] = 2; // truecolour
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let row = 0; row < height; row++) rows.set(randomBytes(width * 3), row * (1 + width * 3) + 1);
  return concat(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', new Uint8Array(0)),
  );
}

/** A PDF header and trailer around random binary bytes (PDFs carry binary streams). */
export function makePdf(bodyLength: number): Uint8Array<ArrayBuffer> {
  // The second line is the customary comment of four bytes above 127 that marks the file as binary.
  return concat(ascii('%PDF-1.7\n'), Uint8Array.of(0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a), randomBytes(bodyLength), ascii('\n%%EOF\n'));
}

/** Uploads bytes as the multipart field `file`, with the declared type a client would send. */
export function uploadFile(api: TestClient, account: TestAccount, bytes: Uint8Array<ArrayBuffer>, name: string, type = 'application/octet-stream') {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  return api.post('/uploads', form, { token: account.accessToken });
}
