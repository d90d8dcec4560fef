// Schemas of the uploads module: an upload as clients see it, and the inputs of uploading and downloading.
import { t } from 'elysia';

const Dimension = t.Union([t.Integer({ minimum: 1 }), t.Null()], { description: 'Pixels, for images; null for other files.' });

export const Upload = t.Object(
  {
    id: t.String(),
    url: t.String({ description: 'Where to download it: `/uploads/{id}`.', examples: ['/uploads/0198c6c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f'] }),
    mime: t.String({ description: 'Detected from the bytes, never taken from the file name or the declared type.', examples: ['image/png'] }),
    size: t.Integer({ description: 'Bytes.' }),
    name: t.String({ description: 'The file name as sent, without folders or control characters.' }),
    width: Dimension,
    height: Dimension,
  },
  { description: 'An uploaded file. Attach it to a message, or make it your avatar or a group picture.' },
);
export type UploadView = typeof Upload.static;

export const UploadEnvelope = t.Object({ upload: Upload });

export const UploadBody = t.Object({ file: t.File({ description: 'The file; its type is detected from its bytes.' }) });

export const UploadParams = t.Object({ id: t.String({ maxLength: 64 }) });

export const DownloadQuery = t.Object({
  token: t.Optional(
    t.String({ maxLength: 4096, description: 'An access token, for `<img src>` and links, which cannot send an Authorization header.' }),
  ),
});
