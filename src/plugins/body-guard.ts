// Refuses oversized and mistyped request bodies before anything reads them.
import { Elysia } from 'elysia';
import { AppError, CommonErrors } from '../lib/errors.ts';

/** JSON bodies are small: the largest legitimate one is a message text or a WebAuthn response. */
export const JSON_BODY_LIMIT = 1_000_000;
/** Room for multipart boundaries and headers around an upload of the largest allowed size. */
const MULTIPART_OVERHEAD = 64_000;

function isUploadPath(path: string): boolean {
  return path === '/uploads';
}

/** The most bytes any request may carry: Bun.serve refuses larger ones before the app sees them. */
export function maxRequestBodySize(uploadMaxBytes: number): number {
  return uploadMaxBytes + MULTIPART_OVERHEAD;
}

export function bodyGuard(uploadMaxBytes: number) {
  return new Elysia({ name: 'body-guard' }).onRequest(({ request }) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const length = Number(request.headers.get('content-length') ?? 0);
    const path = new URL(request.url).pathname;
    const upload = isUploadPath(path);
    const limit = upload ? maxRequestBodySize(uploadMaxBytes) : JSON_BODY_LIMIT;
    if (length > limit) {
      throw new AppError(413, CommonErrors.payloadTooLarge, `The body is larger than ${limit} bytes`);
    }
    const hasBody = length > 0 || request.headers.has('transfer-encoding');
    if (!hasBody) return;
    const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const expected = upload ? 'multipart/form-data' : 'application/json';
    if (type !== expected) {
      throw new AppError(415, CommonErrors.unsupportedMediaType, `The body must be ${expected}`);
    }
  });
}
