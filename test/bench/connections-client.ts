// A client process of the connections benchmark (connections.ts starts it; not run by hand): opens
// idle authenticated WebSockets and holds them. Over IPC it receives `{type: 'connect', url, tokens}`,
// answers `{connected, failed}` once every socket got its READY frame or failed, and on
// `{type: 'close'}` closes them all and exits.

/** Sockets being opened at once: enough to keep the server busy, few enough for its accept queue. */
const IN_FLIGHT = 50;

type Command = { type: 'connect'; url: string; tokens: string[] } | { type: 'close' };

const sockets: WebSocket[] = [];

/** Resolves true once the socket got READY, false if it closed or failed first. */
function open(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.addEventListener('message', (event) => resolve(String(event.data).startsWith('{"type":"READY"')), { once: true });
    ws.addEventListener('close', () => resolve(false), { once: true });
  });
}

async function connectAll(url: string, tokens: string[]) {
  let connected = 0;
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      if (await open(`${url}/ws?token=${tokens[next++]}`)) connected++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { connected, failed: tokens.length - connected };
}

process.on('message', async (command: Command) => {
  if (command.type === 'connect') {
    process.send!(await connectAll(command.url, command.tokens));
    return;
  }
  for (const ws of sockets) ws.close();
  process.exit(0);
});
