// The HTTP answer of a download: the stored bytes, with headers that stop browsers from guessing the type or running it.
import type { UploadRow } from './service.ts';
import { isImageMime } from './sniff.ts';
import type { StoredContent } from './store.ts';

/** Private: a shared cache must not hand one member's file to another user; a day, since access can be revoked. */
const CACHE_CONTROL = 'private, max-age=86400';

/** An upload's bytes never change, so its id is a strong ETag. */
function etagOf(upload: UploadRow): string {
  return `"${upload.id}"`;
}

/** True when If-None-Match lists the upload's ETag (weak comparison, as RFC 9110 asks for this header) or is `*`. */
export function isNotModified(upload: UploadRow, ifNoneMatch: string | undefined): boolean {
  if (!ifNoneMatch) return false;
  const etag = etagOf(upload);
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/**
 * Images open in the browser; everything else downloads, so a PDF or a text file never renders on this
 * origin. `filename` is an ASCII stand-in for old clients, `filename*` the real name (RFC 6266).
 */
function contentDisposition(upload: UploadRow): string {
  const disposition = isImageMime(upload.mime) ? 'inline' : 'attachment';
  const fallback = upload.name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(upload.name).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

function cachingHeaders(upload: UploadRow): Record<string, string> {
  return { etag: etagOf(upload), 'cache-control': CACHE_CONTROL };
}

/** 304 for a client that already holds these bytes. */
export function notModifiedResponse(upload: UploadRow): Response {
  return new Response(null, { status: 304, headers: cachingHeaders(upload) });
}

/** 200 with the bytes, typed as detected at upload. */
export function downloadResponse(upload: UploadRow, content: StoredContent): Response {
  return new Response(content.body, {
    headers: {
      'content-type': upload.mime === 'text/plain' ? 'text/plain; charset=utf-8' : upload.mime,
      'content-length': String(content.size),
      'content-disposition': contentDisposition(upload),
      // Without it a browser may sniff an "image" into HTML and run it on this origin.
      'x-content-type-options': 'nosniff',
      ...cachingHeaders(upload),
    },
  });
}
