// Where the bytes of uploads live: files under UPLOAD_DIR, or objects in an S3-compatible bucket when S3_BUCKET is set.
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { S3Client } from 'bun';
import type { Config } from '../../config.ts';

type UploadStoreSettings = Pick<Config, 'uploadDir' | 's3Bucket' | 's3Endpoint' | 's3Region' | 's3AccessKeyId' | 's3SecretAccessKey'>;

/** Stored bytes ready to send: a Blob lets Bun send a local file without copying it through JavaScript. */
export interface StoredContent {
  size: number;
  body: Blob | ReadableStream<Uint8Array>;
}

/** The bytes of uploads, by storage key. */
export interface UploadStore {
  put(key: string, bytes: Uint8Array, mime: string): Promise<void>;
  /** The stored bytes, or null when nothing is stored under the key. */
  open(key: string): Promise<StoredContent | null>;
  /** Removes the bytes; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Keys come from the upload id alone, never from the client's file name, so they cannot climb out of
 * UPLOAD_DIR. Two folder characters from the id's random end spread files over 256 folders.
 */
export function storageKeyOf(uploadId: string): string {
  return `${uploadId.slice(-2)}/${uploadId}`;
}

/** Letters, digits, `_` and `-` in `/`-separated parts: no `..`, no absolute path. */
const SAFE_KEY = /^[\w-]+(\/[\w-]+)*$/;

function createDiskStore(root: string): UploadStore {
  const pathOf = (key: string): string => {
    if (!SAFE_KEY.test(key)) throw new Error(`unsafe storage key '${key}'`);
    return join(root, key);
  };
  return {
    async put(key, bytes) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      await Bun.write(path, bytes);
    },
    async open(key) {
      const file = Bun.file(pathOf(key));
      if (!(await file.exists())) return null;
      return { size: file.size, body: file };
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}

function createS3Store(config: UploadStoreSettings): UploadStore {
  // Unset values fall back to Bun's own S3_* / AWS_* environment variables and defaults.
  const client = new S3Client({
    bucket: config.s3Bucket,
    endpoint: config.s3Endpoint || undefined,
    region: config.s3Region || undefined,
    accessKeyId: config.s3AccessKeyId || undefined,
    secretAccessKey: config.s3SecretAccessKey || undefined,
  });
  return {
    async put(key, bytes, mime) {
      await client.write(key, bytes, { type: mime });
    },
    async open(key) {
      const file = client.file(key);
      try {
        const { size } = await file.stat();
        // A stream, not the S3File itself: a Response built from an S3File redirects to a presigned URL,
        // which would drop our Content-Disposition and nosniff headers.
        return { size, body: file.stream() };
      } catch (error) {
        // A missing object is a miss; anything else (credentials, network) is a real failure.
        if (!(await file.exists())) return null;
        throw error;
      }
    },
    async delete(key) {
      await client.delete(key);
    },
  };
}

/** The S3 store when S3_BUCKET is set, else files under UPLOAD_DIR (created on first write). */
export function createUploadStore(config: UploadStoreSettings): UploadStore {
  return config.s3Bucket ? createS3Store(config) : createDiskStore(config.uploadDir);
}
