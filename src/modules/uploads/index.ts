// Routes of uploads: send a file, and download one you may read.
import { Elysia } from 'elysia';
import type { AppDependencies } from '../../app.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { authGuard, bearerToken } from '../../plugins/auth-guard.ts';
import { rateLimitByIp } from '../../plugins/rate-limit.ts';
import type { TokenSigner } from '../auth/tokens.ts';
import { downloadResponse, isNotModified, notModifiedResponse } from './download.ts';
import { DownloadQuery, Upload, UploadBody, UploadEnvelope, UploadParams } from './model.ts';
import { createUpload, findReadableUpload } from './service.ts';
import { ACCEPTED_TYPES_TEXT } from './sniff.ts';

/**
 * The downloader's user id, from the Authorization header or from `?token=`: `<img src>` and links cannot
 * send headers. Paths are logged without their query, so the token does not reach the log.
 */
async function downloaderOf(tokens: TokenSigner, authorization: string | undefined, queryToken: string | undefined): Promise<string> {
  const token = bearerToken(authorization) ?? queryToken;
  if (!token) throw new AppError(401, CommonErrors.unauthenticated, 'Send Authorization: Bearer <accessToken>, or ?token=<accessToken>');
  const claims = await tokens.verifyAccess(token);
  if (!claims) throw new AppError(401, CommonErrors.unauthenticated, 'The access token is invalid or expired');
  return claims.userId;
}

export function uploadsModule(deps: AppDependencies) {
  return new Elysia({ name: 'uploads', prefix: '/uploads', detail: { tags: ['Uploads'] } })
    .use(authGuard(deps.tokens))
    .use(rateLimitByIp(deps.limiter, deps.config.rateLimit))
    .model({ Upload })
    .post(
      '',
      async ({ userId, body, set }) => {
        const upload = await createUpload(deps, userId, body.file);
        set.status = 201;
        return { upload };
      },
      {
        auth: true,
        // Only multipart is parsed (the body guard answers 415 to anything else), and the docs list only it.
        parse: 'formdata',
        body: UploadBody,
        response: { 201: UploadEnvelope },
        rateLimit: 'upload',
        detail: {
          summary: 'Upload a file',
          description:
            `multipart/form-data with one field, \`file\`. Its type is detected from its bytes (the name and the declared type are ignored): ${ACCEPTED_TYPES_TEXT}. ` +
            'Images report their width and height. Then attach it to a message (`attachmentIds`), or make it your avatar (`PUT /profile`) or a group picture. ' +
            '400 `validation_failed` without a file or for an empty one; 413 `payload_too_large` over UPLOAD_MAX_BYTES; ' +
            '415 `unsupported_file_type` for any other kind of file, `unsupported_media_type` for a body that is not multipart.',
        },
      },
    )
    .get(
      '/:id',
      async ({ params, query, headers }) => {
        const userId = await downloaderOf(deps.tokens, headers.authorization, query.token);
        const upload = await findReadableUpload(deps.db, userId, params.id);
        if (!upload) throw new AppError(404, CommonErrors.notFound, 'No such upload');
        if (isNotModified(upload, headers['if-none-match'])) return notModifiedResponse(upload);
        const content = await deps.uploads.open(upload.storageKey);
        if (!content) {
          deps.log.error('upload bytes missing from the store', { uploadId: upload.id, storageKey: upload.storageKey });
          throw new AppError(404, CommonErrors.notFound, 'No such upload');
        }
        return downloadResponse(upload, content);
      },
      {
        params: UploadParams,
        query: DownloadQuery,
        detail: {
          summary: 'Download a file',
          description:
            'The bytes, with the detected Content-Type, `X-Content-Type-Options: nosniff`, Content-Disposition `inline` for images and ' +
            '`attachment` for everything else, and a strong ETag (`If-None-Match` answers 304). ' +
            'Sign in with `Authorization: Bearer <accessToken>` or, where a header cannot be sent (`<img src>`, a link), with `?token=<accessToken>`. ' +
            'Readable by its uploader, by members of every chat it was sent in, and by anyone signed in when it is someone\'s avatar. ' +
            '401 `unauthenticated` without a valid token; 404 `not_found` for anyone else, the same as for an id that does not exist.',
          security: [{ bearerAuth: [] }],
          responses: {
            200: { description: 'The bytes.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
            304: { description: 'Not modified: the ETag in If-None-Match is still current.' },
          },
        },
      },
    );
}
