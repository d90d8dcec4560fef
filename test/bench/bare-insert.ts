// The bare baseline of the direct-messages benchmark: the messages per second this disk takes through
// libSQL alone, for the rows the server writes per direct message (a message row and its CREATED event
// row, in the server's own tables and indexes) and nothing else: per transaction, one multi-row INSERT
// into each table, prepared once, on a connection set up like the server's writer (native-insert.ts).
// Not written: what the server adds per batch (each topic's last seq) and per message (checks).
// Usage: const messagesPerSecond = measureBareInsert(dataDir, { seconds: 10, rowsPerBatch: 200 })
//   on the data dir of a stopped server whose database has direct chats (seedFriendPairs): its chats take
//   the rows, each member in turn sending one, as the benchmark's senders do, from each chat's last seq on.
import { events, messages } from '../../src/db/schema/index.ts';
import { toMessageView, type MessageRow } from '../../src/modules/messages/service.ts';
import { chatTopic, messageEventType } from '../../src/realtime/events.ts';
import { openNativeDatabase, prepareInsert } from './native-insert.ts';

/** Inserts batches of `rowsPerBatch` messages for `seconds`; returns messages per second. */
export function measureBareInsert(dataDir: string, options: { seconds: number; rowsPerBatch: number }): number {
  const db = openNativeDatabase(dataDir);
  const senders = db.prepare('SELECT chat_id AS chatId, user_id AS userId FROM chat_members ORDER BY chat_id').all() as { chatId: string; userId: string }[];
  const lastSeqOf = db.prepare('SELECT coalesce(max(seq), 0) AS lastSeq FROM messages WHERE chat_id = ?');
  const lastSeqs = new Map(senders.map(({ chatId }) => [chatId, (lastSeqOf.get(chatId) as { lastSeq: number }).lastSeq]));
  const insertMessages = prepareInsert(db, messages, options.rowsPerBatch);
  const insertEvents = prepareInsert(db, events, options.rowsPerBatch);

  let inserted = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1_000;
  while (performance.now() < deadline) {
    const rows = Array.from({ length: options.rowsPerBatch }, (_, index): MessageRow => {
      const { chatId, userId } = senders[index % senders.length]!;
      const seq = lastSeqs.get(chatId)! + 1;
      lastSeqs.set(chatId, seq);
      const id = Bun.randomUUIDv7();
      const text = `message ${inserted + index} from bare`;
      return { id, chatId, seq, senderId: userId, text, attachments: [], replyToId: null, mentions: [], clientMessageId: id, createdAt: new Date(), editedAt: null, unsentAt: null };
    });
    db.exec('BEGIN IMMEDIATE');
    insertMessages(rows);
    insertEvents(
      rows.map((row) => ({
        topic: chatTopic(row.chatId),
        seq: row.seq,
        type: messageEventType('direct', 'CREATED'),
        data: JSON.stringify(toMessageView(row, 'direct')),
        createdAt: row.createdAt,
      })),
    );
    db.exec('COMMIT');
    inserted += options.rowsPerBatch;
  }
  const elapsed = (performance.now() - started) / 1_000;
  db.close();
  return Math.round(inserted / elapsed);
}
