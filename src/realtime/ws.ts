// The /ws gateway: authenticates with ?token=, joins the user's topics, and serves client frames.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Elysia, t } from 'elysia';
import type { AppDependencies } from '../app.ts';
import { AppError, CommonErrors, errorBody } from '../lib/errors.ts';
import { durableTopicsOf } from '../modules/chats/service.ts';
import { friendIdsOf } from '../modules/friends/service.ts';
import { SendFields } from '../modules/messages/model.ts';
import { checkCanType, markReceipt, sendMessage } from '../modules/messages/service.ts';
import { isDurableTopic, presenceTopic, topicOfChat } from './events.ts';
import { CloseCodes, type HubSocket } from './hub.ts';

const Id = t.String({ minLength: 1, maxLength: 64 });

/** Every frame a client may send; anything else gets an ERROR frame. */
const ClientFrame = t.Union([
  t.Object({ type: t.Literal('resume'), cursors: t.Record(t.String({ maxLength: 80 }), t.Integer({ minimum: 0 })) }),
  t.Object({ type: t.Literal('send'), toUserId: Id, ...SendFields }),
  t.Object({ type: t.Literal('send'), groupId: Id, ...SendFields }),
  t.Object({ type: t.Literal('typing'), chatId: Id }),
  t.Object({ type: t.Union([t.Literal('delivered'), t.Literal('read')]), messageId: Id }),
  t.Object({ type: t.Literal('ping') }),
]);
const checkFrame = TypeCompiler.Compile(ClientFrame);

/** A new socket's topics wait this long for a resume frame before going live (nothing is dropped meanwhile). */
const RESUME_WINDOW_MS = 1_000;
/** How often every socket's unsent backlog is checked against SLOW_CONSUMER_LIMIT. */
const SLOW_CONSUMER_SWEEP_MS = 250;
/** Bun's own limit sits this far above ours: past it Bun would skip the socket, so it only ever closes it. */
const BACKPRESSURE_BACKSTOP_BYTES = 64 * 1024 * 1024;
/** At most one TYPING per user and chat in this window. */
const TYPING_INTERVAL_MS = 2_000;
const MAX_TOPICS_PER_RESUME = 1_000;

function errorFrame(error: unknown, clientMessageId?: string) {
  const body =
    error instanceof AppError
      ? errorBody(error.code, error.message, error.details)
      : errorBody(CommonErrors.internal, 'Something went wrong on our side');
  return JSON.stringify({ type: 'ERROR', ...(clientMessageId ? { clientMessageId } : {}), ...body });
}

/**
 * Bun's WebSocket settings. Past its backpressure limit Bun silently skips a socket in a publish; the
 * sweep (scheduleSlowConsumerSweep) closes a socket with 4001 long before that, and Bun closing it is the backstop,
 * so a slow client is told to resume rather than quietly missing events.
 */
export function websocketSettings(config: AppDependencies['config']) {
  return { backpressureLimit: config.slowConsumerLimit + BACKPRESSURE_BACKSTOP_BYTES, closeOnBackpressureLimit: true };
}

/**
 * Closes, every quarter second, sockets whose unsent backlog passed SLOW_CONSUMER_LIMIT: they reconnect
 * and resume from their cursors. Returns the function that stops it.
 */
export function scheduleSlowConsumerSweep({ hub, config, log }: Pick<AppDependencies, 'hub' | 'config' | 'log'>): () => void {
  const timer = setInterval(() => {
    for (const socket of hub.allSockets()) {
      if (socket.getBufferedAmount() <= config.slowConsumerLimit) continue;
      log.info('closing a slow consumer', { userId: hub.stateOf(socket)?.userId, buffered: socket.getBufferedAmount() });
      socket.close(CloseCodes.slowConsumer, 'too slow: reconnect and resume');
    }
  }, SLOW_CONSUMER_SWEEP_MS);
  return () => clearInterval(timer);
}

export function realtimeModule(deps: AppDependencies) {
  const { hub, presence, db, log } = deps;
  const lastTyping = new Map<string, number>();
  const resumeTimers = new WeakMap<HubSocket, Timer>();
  /** open() reads the user's topics from the database; frames that arrive meanwhile wait for it. */
  const opened = new WeakMap<HubSocket, Promise<void>>();

  async function handleFrame(socket: HubSocket, userId: string, frame: typeof ClientFrame.static): Promise<void> {
    switch (frame.type) {
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong' }));
        return;
      case 'resume': {
        const topics = Object.entries(frame.cursors).slice(0, MAX_TOPICS_PER_RESUME);
        const held = new Set(hub.stateOf(socket)?.held.keys());
        const outcomes = await Promise.all(
          topics.map(async ([topic, cursor]) => [topic, isDurableTopic(topic) ? await hub.resume(socket, topic, cursor) : 'forbidden'] as const),
        );
        for (const [topic, outcome] of outcomes) {
          held.delete(topic);
          if (outcome === 'resync') socket.send(JSON.stringify({ type: 'RESYNC_REQUIRED', topic }));
          if (outcome === 'forbidden') socket.send(errorFrame(new AppError(403, CommonErrors.forbidden, `Not your topic: ${topic}`)));
        }
        // Topics the client did not name go live from where the socket opened.
        for (const topic of held) hub.goLive(socket, topic);
        socket.send(JSON.stringify({ type: 'RESUMED', topics: outcomes.filter(([, outcome]) => outcome === 'ok').map(([topic]) => topic) }));
        return;
      }
      case 'send': {
        const { type: _type, ...input } = frame;
        try {
          const { message } = await sendMessage(deps, userId, input);
          socket.send(JSON.stringify({ type: 'ACK', clientMessageId: frame.clientMessageId ?? null, message }));
        } catch (error) {
          socket.send(errorFrame(error, frame.clientMessageId));
        }
        return;
      }
      case 'typing': {
        const chat = await checkCanType(deps, userId, frame.chatId);
        const key = `${userId}:${chat.id}`;
        const now = Date.now();
        if (now - (lastTyping.get(key) ?? 0) < TYPING_INTERVAL_MS) return;
        lastTyping.set(key, now);
        hub.publishEphemeral(topicOfChat(chat), 'TYPING', { chatId: chat.id, userId });
        return;
      }
      case 'delivered':
      case 'read':
        await markReceipt(deps, userId, frame.messageId, frame.type);
        return;
    }
  }

  return new Elysia({ name: 'realtime' })
    // Browsers cannot set headers on a WebSocket, hence ?token=. No valid token: HTTP 401, no upgrade.
    .resolve(async ({ query }) => {
      const claims = query.token ? await deps.tokens.verifyAccess(query.token) : null;
      if (!claims) throw new AppError(401, CommonErrors.unauthenticated, 'Connect with ?token=<a valid access token>');
      return { userId: claims.userId };
    })
    .ws('/ws', {
      query: t.Object({ token: t.Optional(t.String({ maxLength: 4096 })) }),
      // OpenAPI has no WebSocket method: GET /ws is documented by hand in plugins/docs.ts.
      detail: { hide: true },
      // Bun pings idle sockets; one that stops answering is closed after this long.
      idleTimeout: 60,
      sendPings: true,
      open(ws) {
        const socket = ws.raw as HubSocket;
        const userId = ws.data.userId;
        // Registered before its topics are read, so a membership change committed meanwhile still moves it.
        hub.add(socket, userId);
        opened.set(
          socket,
          (async () => {
            const [durable, friends] = await Promise.all([durableTopicsOf(db, userId), friendIdsOf(db, userId)]);
            if (socket.readyState !== 1) return;
            hub.load(socket, durable, friends.map(presenceTopic));
            await presence.connected(userId);
            if (socket.readyState !== 1) return;
            // A client that never resumes still gets everything since it opened, once this window ends.
            resumeTimers.set(socket, setTimeout(() => hub.goLiveAll(socket), RESUME_WINDOW_MS));
            socket.send(JSON.stringify({ type: 'READY', userId, topics: [...(hub.stateOf(socket)?.topics.keys() ?? [])] }));
          })(),
        );
      },
      async message(ws, raw) {
        const socket = ws.raw as HubSocket;
        const userId = ws.data.userId;
        await opened.get(socket);
        const frame: unknown = typeof raw === 'string' ? safeParse(raw) : raw;
        if (!checkFrame.Check(frame)) {
          const first = [...checkFrame.Errors(frame)][0];
          socket.send(errorFrame(new AppError(400, CommonErrors.validationFailed, 'Unknown or malformed frame', first ? { field: first.path, message: first.message } : undefined)));
          return;
        }
        const timer = resumeTimers.get(socket);
        if (timer) {
          // The first frame ends the resume window; if it is not a resume, everything goes live now.
          clearTimeout(timer);
          resumeTimers.delete(socket);
          if (frame.type !== 'resume') hub.goLiveAll(socket);
        }
        try {
          await handleFrame(socket, userId, frame);
        } catch (error) {
          if (!(error instanceof AppError)) log.error('frame failed', { userId, type: frame.type, error: error instanceof Error ? error.message : String(error) });
          socket.send(errorFrame(error));
        }
      },
      close(ws) {
        const socket = ws.raw as HubSocket;
        const userId = ws.data.userId;
        clearTimeout(resumeTimers.get(socket));
        if (hub.remove(socket)) presence.disconnected(userId);
      },
    });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Closes every socket with "server restarting: reconnect and resume" (graceful shutdown). */
export function closeAllSockets(deps: Pick<AppDependencies, 'hub'>): void {
  for (const socket of deps.hub.allSockets()) socket.close(CloseCodes.serverRestarting, 'server restarting');
}
