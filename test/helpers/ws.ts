// A WebSocket test client with an inbox: every frame received is kept, and waitFor finds one.
export interface Frame {
  type: string;
  topic?: string;
  seq?: number;
  data?: any;
  [key: string]: any;
}

export interface TestSocket {
  inbox: Frame[];
  send(frame: object): void;
  /** The first frame (already received or still to come) matching `predicate`, after `from` frames. */
  waitFor(predicate: (frame: Frame) => boolean, options?: { timeoutMs?: number; from?: number }): Promise<Frame>;
  /** Resolves after `ms` during which no frame matching `predicate` arrived; rejects if one did. */
  expectNone(predicate: (frame: Frame) => boolean, ms?: number): Promise<void>;
  /** Durable events of a topic, in the order received. */
  eventsOf(topic: string): Frame[];
  close(): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens /ws with a token and waits for READY (the socket has joined its topics). */
export async function connectSocket(baseUrl: string, token: string): Promise<TestSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
  const inbox: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.onmessage = (message) => {
    inbox.push(JSON.parse(String(message.data)));
    for (const wake of waiters) wake();
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('WebSocket failed to open'));
  });

  const socket: TestSocket = {
    inbox,
    send: (frame) => ws.send(JSON.stringify(frame)),
    waitFor(predicate, { timeoutMs = 5_000, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = inbox.slice(from).find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No matching frame within ${timeoutMs} ms; inbox: ${JSON.stringify(inbox.slice(-10))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async expectNone(predicate, ms = 300) {
      const from = inbox.length;
      await Bun.sleep(ms);
      const found = inbox.slice(from).find(predicate);
      if (found) throw new Error(`Unexpected frame: ${JSON.stringify(found)}`);
    },
    eventsOf: (topic) => inbox.filter((frame) => frame.topic === topic && frame.seq !== undefined),
    close: () => ws.close(),
    closed,
  };
  await socket.waitFor((frame) => frame.type === 'READY');
  return socket;
}
