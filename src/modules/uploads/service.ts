// Uploads: storing a file once its bytes say what it is, who may read it, and which chats it was shared in.
import { and, eq, exists, inArray, or } from 'drizzle-orm';
import type { AppDependencies } from '../../app.ts';
import type { Reader, Transaction } from '../../db/client.ts';
import { chatMembers, chatUploads, uploads, users } from '../../db/schema/index.ts';
import { AppError, CommonErrors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { UploadErrors } from './errors.ts';
import type { UploadView } from './model.ts';
import { ACCEPTED_TYPES_TEXT, detectFileType, isImageMime } from './sniff.ts';
import { storageKeyOf } from './store.ts';

export type UploadRow = typeof uploads.$inferSelect;

/** Longest file name kept, in characters; longer ones lose the end of their stem, not their extension. */
const NAME_MAX_LENGTH = 200;
/** Control characters, and the direction overrides that make `cat\u202Egnp.exe` display as `catexe.png`. */
const UNSAFE_NAME_CHARACTERS = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** The upload as clients see it. */
export function toUploadView(row: UploadRow): UploadView {
  return { id: row.id, url: `/uploads/${row.id}`, mime: row.mime, size: row.size, name: row.name, width: row.width, height: row.height };
}

/** The client's file name made safe to show and to send back in a header: no folders, no control characters. */
export function sanitizeFileName(raw: string): string {
  // Well-formed first: a lone surrogate would make the name unencodable in Content-Disposition.
  const base = (raw.toWellFormed().split(/[/\\]/).at(-1) ?? '').replace(UNSAFE_NAME_CHARACTERS, '').trim();
  const characters = Array.from(base);
  if (characters.length === 0) return 'file';
  if (characters.length <= NAME_MAX_LENGTH) return base;
  const extension = /\.[^.]{1,16}$/.exec(base)?.[0] ?? '';
  return characters.slice(0, NAME_MAX_LENGTH - extension.length).join('') + extension;
}

/**
 * Stores a file for `ownerId`. The type comes from the bytes (415 `unsupported_file_type` off the
 * allow-list); the size is checked on the file itself because a chunked body has no Content-Length.
 */
export async function createUpload(
  deps: Pick<AppDependencies, 'db' | 'uploads' | 'config'>,
  ownerId: string,
  file: File,
): Promise<UploadView> {
  if (file.size === 0) {
    throw new AppError(400, CommonErrors.validationFailed, 'The file is empty', [{ field: 'file', message: 'The file is empty' }]);
  }
  const limit = deps.config.uploadMaxBytes;
  if (file.size > limit) throw new AppError(413, CommonErrors.payloadTooLarge, `The file is larger than ${limit} bytes`);
  const bytes = await file.bytes();
  const type = detectFileType(bytes);
  if (!type) {
    throw new AppError(415, UploadErrors.unsupportedFileType, `This kind of file is not accepted. Send ${ACCEPTED_TYPES_TEXT}.`);
  }
  const id = newId();
  const row: UploadRow = {
    id,
    ownerId,
    storageKey: storageKeyOf(id),
    ...type,
    size: bytes.length,
    name: sanitizeFileName(file.name),
    createdAt: new Date(),
  };
  // Bytes first, row second: a row never points at bytes that are not there.
  await deps.uploads.put(row.storageKey, bytes, row.mime);
  try {
    await deps.db.insert(uploads).values(row);
  } catch (error) {
    // The insert's error is the one to report; failing to tidy up only leaves an unreferenced file.
    await deps.uploads.delete(row.storageKey).catch(() => undefined);
    throw error;
  }
  return toUploadView(row);
}

/**
 * The upload if `userId` may download it, else null (callers answer 404 either way, so a stranger
 * cannot tell a private file from a missing one). Readers: its uploader, members of any chat it was
 * sent in, and anyone signed in when it is someone's avatar.
 */
export async function findReadableUpload(db: Reader, userId: string, uploadId: string): Promise<UploadRow | null> {
  const sharedWithUser = db
    .select({ chatId: chatUploads.chatId })
    .from(chatUploads)
    .innerJoin(chatMembers, and(eq(chatMembers.chatId, chatUploads.chatId), eq(chatMembers.userId, userId)))
    .where(eq(chatUploads.uploadId, uploadId));
  const someonesAvatar = db.select({ id: users.id }).from(users).where(eq(users.avatarUploadId, uploadId));
  const [row] = await db
    .select()
    .from(uploads)
    .where(and(eq(uploads.id, uploadId), or(eq(uploads.ownerId, userId), exists(sharedWithUser), exists(someonesAvatar))))
    .limit(1);
  return row ?? null;
}

/**
 * The uploads `ids` names, in that order without repeats, all owned by `ownerId`. Throws 400
 * `validation_failed` naming the first id that is not one of theirs under `field` in details.
 */
export async function requireOwnUploads(db: Reader, ownerId: string, ids: string[], field = 'attachmentIds'): Promise<UploadRow[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await db
    .select()
    .from(uploads)
    .where(and(eq(uploads.ownerId, ownerId), inArray(uploads.id, unique)));
  const byId = new Map(rows.map((row) => [row.id, row]));
  const missing = unique.find((id) => !byId.has(id));
  if (missing !== undefined) {
    throw new AppError(400, CommonErrors.validationFailed, `${missing} is not one of your uploads`, { [field]: missing });
  }
  return unique.map((id) => byId.get(id)!);
}

/** Like requireOwnUploads for one id, which must also be an image (avatars, group pictures). */
export async function requireOwnImage(db: Reader, ownerId: string, id: string, field = 'uploadId'): Promise<UploadRow> {
  const [row] = await requireOwnUploads(db, ownerId, [id], field);
  if (!isImageMime(row!.mime)) {
    throw new AppError(400, CommonErrors.validationFailed, `${id} is not an image (PNG, JPEG, GIF or WebP)`, { [field]: id });
  }
  return row!;
}

/** Records inside a write job that the uploads were sent in a chat, so its members may download them. */
export async function shareUploadsInChat(tx: Transaction, chatId: string, uploadIds: string[]): Promise<void> {
  if (uploadIds.length === 0) return;
  await tx
    .insert(chatUploads)
    .values([...new Set(uploadIds)].map((uploadId) => ({ chatId, uploadId })))
    .onConflictDoNothing();
}
