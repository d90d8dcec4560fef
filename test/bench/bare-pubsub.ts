// The baseline for the fan-out benchmark: a bare Bun.serve pub/sub server with no storage and no auth.
// Each socket joins `group:<id>` from ?group=; a `send` frame is stamped with a seq, published to the
// group (sender included, as our server does) and acknowledged. Logs its URL like our server does.
const seqs = new Map<string, number>();

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? '127.0.0.1',
  fetch(request, server) {
    const group = new URL(request.url).searchParams.get('group');
    if (group && server.upgrade(request, { data: { topic: `group:${group}` } })) return undefined;
    return new Response('upgrade with ?group=', { status: 400 });
  },
  websocket: {
    data: {} as { topic: string },
    open(ws) {
      ws.subscribe(ws.data.topic);
      ws.send(JSON.stringify({ type: 'READY' }));
    },
    message(ws, raw) {
      const frame = JSON.parse(String(raw)) as { type: string; clientMessageId: string; groupId: string; text: string };
      if (frame.type !== 'send') return;
      const topic = `group:${frame.groupId}`;
      const seq = (seqs.get(topic) ?? 0) + 1;
      seqs.set(topic, seq);
      const message = { id: crypto.randomUUID(), chatId: frame.groupId, kind: 'group', seq, text: frame.text, createdAt: new Date().toISOString() };
      server.publish(topic, JSON.stringify({ topic, seq, type: 'GROUP_MESSAGE_CREATED', data: message }));
      ws.send(JSON.stringify({ type: 'ACK', clientMessageId: frame.clientMessageId, message }));
    },
  },
});

console.log(JSON.stringify({ msg: 'listening', url: server.url.href.replace(/\/$/, '') }));
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
