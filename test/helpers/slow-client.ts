// A WebSocket client that stops reading for a while, as a stalled phone would: its thread sleeps, so the
// bytes the server sends pile up. Usage: bun test/helpers/slow-client.ts <ws url with token> <release file>
// Prints READY once its topics are live, sleeps until <release file> exists, then reads what arrived and,
// when the server closes it, prints one JSON line: {code, events: [{topic, seq, id}]}.
import { existsSync } from 'node:fs';

const [url, releaseFile] = process.argv.slice(2) as [string, string];
const events: { topic: string; seq: number; id: string }[] = [];
const ws = new WebSocket(url);
ws.onmessage = (message) => {
  const frame = JSON.parse(String(message.data));
  // Any first frame but resume puts the topics live at once.
  if (frame.type === 'READY') ws.send(JSON.stringify({ type: 'ping' }));
  if (frame.type === 'pong') {
    console.log('READY');
    setTimeout(() => {
      while (!existsSync(releaseFile)) Bun.sleepSync(5);
    }, 20);
  }
  if (frame.seq !== undefined) events.push({ topic: frame.topic, seq: frame.seq, id: frame.data?.id });
};
ws.onclose = (event) => {
  console.log(JSON.stringify({ code: event.code, events }));
  process.exit(0);
};
