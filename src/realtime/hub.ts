// The hub knows this node's sockets and their topics, delivers events, and makes resume exact.
import type { ServerWebSocket } from 'bun';
import type { Broker, BrokerHandlers } from './broker.ts';
import { userTopic, type DurableEvent, type EphemeralEventType, type ReplayResult } from './events.ts';
import { TopicOrder } from './topic-order.ts';
import { topicMovesOf, type TopicJoin, type TopicMove } from './topic-moves.ts';

/**
 * A socket's durable topic is either live (subscribed to Bun's native topic, so a publish reaches it
 * with no JS per socket) or held: not subscribed, with events buffered by the hub until the socket
 * has been caught up from the event log. Going from held to live happens in one synchronous step
 * (send what the log and the buffer have past `lastSent`, then subscribe), so between replay and live
 * nothing is lost and nothing is sent twice.
 */
interface HeldTopic {
  lastSent: number;
  buffer: DurableEvent[];
  /** Asked to go live before this node's stream of the topic reached `lastSent`: goes live when it does. */
  liveWhenCaughtUp?: boolean;
}

export interface SocketState {
  userId: string;
  /** Durable topics this socket belongs to (user, chats, groups), each with its floor: a resume never replays at or below it. */
  topics: Map<string, number>;
  held: Map<string, HeldTopic>;
  /** Ephemeral topics (friends' presence) this socket is subscribed to. */
  ephemeral: Set<string>;
  /**
   * While the socket's topics are read from the database (between `add` and `load`): topics that moves
   * took away meanwhile, so a read from before the move does not bring them back. Null once loaded.
   */
  leftWhileLoading: Set<string> | null;
}

export type HubSocket = ServerWebSocket<unknown>;

/** What the hub needs from the server: Bun's publish, which reaches every live subscriber of a topic. */
export interface Publisher {
  publish(topic: string, data: string): number;
}

/** WebSocket close codes: 4000-4499 ask the client to reconnect (and resume), 4500-4999 not to. */
export const CloseCodes = {
  serverRestarting: 4000,
  slowConsumer: 4001,
  accountGone: 4500,
  protocolViolation: 4501,
} as const;

/** A durable topic as read for a socket at connect: its floor, and its newest seq at that moment. */
export interface LoadedTopic extends TopicJoin {
  lastSeq: number;
}

/** What another node sends on a user's topic so that user's sockets here join topics (see `#deliver`). */
interface JoinFrame {
  join: TopicMove;
}

export class Hub implements BrokerHandlers {
  readonly #sockets = new Map<HubSocket, SocketState>();
  readonly #byUser = new Map<string, Set<HubSocket>>();
  /** topic → sockets holding it, so a publish can fill their buffers. */
  readonly #holders = new Map<string, Set<HubSocket>>();
  #publisher: Publisher | null = null;
  #broker: Broker | null = null;
  /** With a broker: how many local sockets hold each topic (only those are subscribed on Redis). */
  readonly #interest = new Map<string, number>();
  /**
   * With a broker: topics this node is starting to hear (Redis subscription, then a catch-up from the
   * log for what was published before it); their sockets stay held until this settles.
   */
  readonly #warming = new Map<string, Promise<void>>();
  readonly #order: TopicOrder;
  /** Each event's frame, made once however many ways it goes (Redis, local sockets, a replay). */
  readonly #frames = new WeakMap<DurableEvent, string>();

  /** `replay` reads a topic's events after a cursor from the event log (resume, catch-up, gaps). */
  constructor(private readonly replay: (topic: string, cursor: number) => Promise<ReplayResult>) {
    this.#order = new TopicOrder(replay, (event) => this.#deliver(event));
  }

  /** Connects the hub to the listening server (its publish reaches native subscribers). */
  attach(publisher: Publisher): void {
    this.#publisher = publisher;
  }

  /** Spreads this node's events to other nodes and delivers theirs here (REDIS_URL). */
  useBroker(broker: Broker): void {
    this.#broker = broker;
  }

  /**
   * Registers a socket as soon as it opens, before its topics are known, so topic moves from events
   * committed while they are read from the database reach it too (see `load`).
   */
  add(socket: HubSocket, userId: string): void {
    this.#sockets.set(socket, { userId, topics: new Map(), held: new Map(), ephemeral: new Set(), leftWhileLoading: new Set() });
    let sockets = this.#byUser.get(userId);
    if (!sockets) this.#byUser.set(userId, (sockets = new Set()));
    sockets.add(socket);
  }

  /**
   * Gives a socket the topics read for it: durable ones held until `goLive` or a resume, ephemeral ones
   * live. Topics that moves already added are kept as they are; ones moves took away are skipped.
   */
  load(socket: HubSocket, durableTopics: LoadedTopic[], ephemeralTopics: string[]): void {
    const state = this.#sockets.get(socket);
    if (!state?.leftWhileLoading) return;
    const left = state.leftWhileLoading;
    state.leftWhileLoading = null;
    for (const { topic, floor, lastSeq } of durableTopics) {
      if (left.has(topic) || state.topics.has(topic)) continue;
      state.topics.set(topic, floor);
      this.#retainDurable(topic, lastSeq);
      this.#hold(socket, state, topic, Number.POSITIVE_INFINITY);
    }
    for (const topic of ephemeralTopics) if (!left.has(topic)) this.#subscribeEphemeral(socket, state, topic);
  }

  /** Forgets a closed socket; returns true when it was the user's last one on this node. */
  remove(socket: HubSocket): boolean {
    const state = this.#sockets.get(socket);
    if (!state) return false;
    for (const topic of state.held.keys()) this.#holders.get(topic)?.delete(socket);
    for (const topic of state.topics.keys()) this.#release(topic);
    for (const topic of state.ephemeral) this.#release(topic);
    this.#sockets.delete(socket);
    const sockets = this.#byUser.get(state.userId);
    sockets?.delete(socket);
    if (sockets && sockets.size === 0) {
      this.#byUser.delete(state.userId);
      return true;
    }
    return false;
  }

  stateOf(socket: HubSocket): SocketState | undefined {
    return this.#sockets.get(socket);
  }

  isConnected(userId: string): boolean {
    return this.#byUser.has(userId);
  }

  /** Every socket on this node, e.g. to close them all at shutdown. */
  allSockets(): HubSocket[] {
    return [...this.#sockets.keys()];
  }

  /**
   * Delivers events this node committed, in seq order. With a broker they go to Redis too; a join
   * whose event is on another topic (MEMBER_ADDED on the group's) is also sent on the joining user's
   * own topic, which every node with a socket of theirs hears.
   */
  publishDurable(events: DurableEvent[]): void {
    for (const event of events) {
      if (!this.#broker) {
        this.#deliver(event);
        continue;
      }
      for (const join of topicMovesOf(event).joinBefore) {
        const ownTopic = userTopic(join.userId);
        if (ownTopic !== event.topic) this.#broker.publish(ownTopic, JSON.stringify({ join } satisfies JoinFrame));
      }
      this.#broker.publish(event.topic, this.#frameOf(event));
      this.#order.accept(event);
    }
  }

  /** Ephemeral events (typing, presence) go to live subscribers only and are never replayed. */
  publishEphemeral(topic: string, type: EphemeralEventType, data: unknown): void {
    const frame = JSON.stringify({ topic, type, data });
    this.#publisher?.publish(topic, frame);
    this.#broker?.publish(topic, frame);
  }

  /** A frame another node published: an event (put in order, then delivered), an ephemeral event, or a join. */
  onFrame(topic: string, frame: string): void {
    const message = JSON.parse(frame) as DurableEvent | JoinFrame | { type: EphemeralEventType };
    if ('join' in message) {
      this.joinTopics(message.join.userId, message.join.durable, message.join.ephemeral);
    } else if ('seq' in message) {
      this.#frames.set(message, frame);
      this.#order.accept(message);
    } else {
      this.#publisher?.publish(topic, frame);
    }
  }

  /**
   * Redis lost this node's subscriptions: take them again (each topic catches up from the log), and have
   * every socket reconnect and resume, since joins sent while Redis was away were missed.
   */
  onReconnect(): void {
    for (const topic of this.#interest.keys()) this.#subscribe(topic);
    for (const socket of this.#sockets.keys()) socket.close(CloseCodes.serverRestarting, 'backplane reconnected');
  }

  /**
   * Delivers one event to live subscribers and held buffers, moving sockets between topics as it says
   * (a new member joins before hearing MEMBER_ADDED, a removed one leaves right after MEMBER_REMOVED),
   * so a move is exact within the stream.
   */
  #deliver(event: DurableEvent): void {
    const moves = topicMovesOf(event);
    for (const move of moves.joinBefore) this.joinTopics(move.userId, move.durable, move.ephemeral);
    this.#publisher?.publish(event.topic, this.#frameOf(event));
    for (const socket of this.#holders.get(event.topic) ?? []) {
      const state = this.#sockets.get(socket);
      const held = state?.held.get(event.topic);
      if (!state || !held) continue;
      held.buffer.push(event);
      if (held.liveWhenCaughtUp && held.lastSent <= event.seq && !this.#warming.has(event.topic)) this.#goLiveNow(socket, state, event.topic, held);
    }
    for (const move of moves.leaveAfter) this.leaveTopics(move.userId, move.durable.map((join) => join.topic), move.ephemeral);
    for (const topic of moves.dropAfter) this.#dropTopic(topic);
  }

  /**
   * Adds topics to every socket of a user at once (a new friend, a new group); each gets exactly what
   * follows its join. Alone, the node's stream of the topic stands at the join. With other nodes it
   * may not (not heard here yet, or ahead or behind, as their timing allows): behind, the socket waits
   * held until the stream reaches the join; ahead, it catches up from the log.
   */
  joinTopics(userId: string, durableTopics: TopicJoin[], ephemeralTopics: string[] = []): void {
    for (const socket of this.#byUser.get(userId) ?? []) {
      const state = this.#sockets.get(socket)!;
      for (const { topic, floor } of durableTopics) {
        state.leftWhileLoading?.delete(topic);
        if (state.topics.has(topic)) continue;
        state.topics.set(topic, floor);
        if (!this.#broker) {
          socket.subscribe(topic);
          continue;
        }
        this.#retainDurable(topic, floor);
        if (this.#order.lastOf(topic)! > floor) {
          void this.resume(socket, topic, floor);
          continue;
        }
        this.#hold(socket, state, topic, floor);
        this.goLive(socket, topic);
      }
      for (const topic of ephemeralTopics) {
        state.leftWhileLoading?.delete(topic);
        this.#subscribeEphemeral(socket, state, topic);
      }
    }
  }

  /** Takes topics away from every socket of a user at once (removed from a group, unfriended, blocked). */
  leaveTopics(userId: string, durableTopics: string[], ephemeralTopics: string[] = []): void {
    for (const socket of this.#byUser.get(userId) ?? []) {
      const state = this.#sockets.get(socket)!;
      for (const topic of [...durableTopics, ...ephemeralTopics]) state.leftWhileLoading?.add(topic);
      for (const topic of durableTopics) {
        if (!state.topics.delete(topic)) continue;
        state.held.delete(topic);
        this.#holders.get(topic)?.delete(socket);
        socket.unsubscribe(topic);
        this.#release(topic);
      }
      for (const topic of ephemeralTopics) {
        if (!state.ephemeral.delete(topic)) continue;
        socket.unsubscribe(topic);
        this.#release(topic);
      }
    }
  }

  /** Every socket leaves a topic (a deleted group). */
  #dropTopic(topic: string): void {
    for (const [socket, state] of this.#sockets) {
      if (!state.topics.delete(topic)) continue;
      state.held.delete(topic);
      socket.unsubscribe(topic);
      this.#release(topic);
    }
    this.#holders.delete(topic);
  }

  #subscribeEphemeral(socket: HubSocket, state: SocketState, topic: string): void {
    if (state.ephemeral.has(topic)) return;
    state.ephemeral.add(topic);
    this.#retain(topic);
    socket.subscribe(topic);
  }

  /** A socket here takes a durable topic whose stream, if new to this node, starts after `lastSeq`. */
  #retainDurable(topic: string, lastSeq: number): void {
    if (!this.#broker) return;
    this.#order.hold(topic, lastSeq);
    this.#retain(topic);
  }

  /** Counts a socket's interest in a topic; the first one subscribes this node on Redis. */
  #retain(topic: string): void {
    if (!this.#broker) return;
    const count = this.#interest.get(topic) ?? 0;
    this.#interest.set(topic, count + 1);
    if (count === 0) this.#subscribe(topic);
  }

  #release(topic: string): void {
    if (!this.#broker) return;
    const count = (this.#interest.get(topic) ?? 0) - 1;
    if (count > 0) {
      this.#interest.set(topic, count);
      return;
    }
    this.#interest.delete(topic);
    this.#warming.delete(topic);
    this.#order.release(topic);
    this.#broker.unsubscribe(topic);
  }

  /** Starts hearing a topic: subscribe on Redis, then deliver what the log got meanwhile, then let held sockets go live. */
  #subscribe(topic: string): void {
    const warming: Promise<void> = this.#broker!.subscribe(topic)
      .then(() => this.#order.catchUp(topic))
      .then(() => {
        if (this.#warming.get(topic) !== warming) return;
        this.#warming.delete(topic);
        for (const socket of [...(this.#holders.get(topic) ?? [])]) {
          if (this.#sockets.get(socket)?.held.get(topic)?.liveWhenCaughtUp) this.goLive(socket, topic);
        }
      });
    this.#warming.set(topic, warming);
  }

  /**
   * Catches a socket up on one topic from `cursor`: hold it, read the log (once this node hears the
   * topic, so nothing falls between the two), then send the log's events and the buffered ones past
   * what was sent, and go live. 'resync' when retention pruned events past the cursor (the caller
   * answers RESYNC_REQUIRED); 'forbidden' when the topic is not the socket's.
   */
  async resume(socket: HubSocket, topic: string, cursor: number): Promise<'ok' | 'resync' | 'forbidden'> {
    const state = this.#sockets.get(socket);
    const floor = state?.topics.get(topic);
    if (!state || floor === undefined) return 'forbidden';
    // A group member never replays what was said before they joined, whatever cursor they send.
    cursor = Math.max(cursor, floor);
    const held = this.#hold(socket, state, topic, cursor);
    await this.#warming.get(topic);
    const replay = await this.replay(topic, cursor);
    // A newer resume of this topic, a topic move or a close happened meanwhile: it wins.
    if (state.held.get(topic) !== held || !this.#sockets.has(socket)) return 'ok';
    if (replay.resyncRequired) {
      // Still deliver from now on: the client resyncs over REST and keeps the live stream.
      held.lastSent = Number.POSITIVE_INFINITY;
      this.goLive(socket, topic);
      return 'resync';
    }
    for (const event of replay.events) this.#sendAfter(socket, held, event);
    this.goLive(socket, topic);
    return 'ok';
  }

  /**
   * Sends what a held topic buffered (past lastSent) and subscribes it, in one synchronous step.
   * A topic held since connect (lastSent = ∞) sends its whole buffer: events since the socket opened.
   * With other nodes, this waits until this node's stream of the topic has reached what was sent, so
   * the live stream never repeats or skips anything.
   */
  goLive(socket: HubSocket, topic: string): void {
    const state = this.#sockets.get(socket);
    const held = state?.held.get(topic);
    if (!state || !held) return;
    const streamAt = this.#order.lastOf(topic);
    const behind = held.lastSent !== Number.POSITIVE_INFINITY && streamAt !== undefined && streamAt < held.lastSent;
    if (this.#warming.has(topic) || behind) {
      held.liveWhenCaughtUp = true;
      return;
    }
    this.#goLiveNow(socket, state, topic, held);
  }

  #goLiveNow(socket: HubSocket, state: SocketState, topic: string, held: HeldTopic): void {
    const sinceConnect = held.lastSent === Number.POSITIVE_INFINITY;
    if (sinceConnect) held.lastSent = -1;
    for (const event of held.buffer) this.#sendAfter(socket, held, event);
    state.held.delete(topic);
    this.#holders.get(topic)?.delete(socket);
    socket.subscribe(topic);
  }

  /** Puts every still-held topic of a socket live (its first frame was not a resume, or it sent none). */
  goLiveAll(socket: HubSocket): void {
    const state = this.#sockets.get(socket);
    if (!state) return;
    for (const topic of [...state.held.keys()]) this.goLive(socket, topic);
  }

  #hold(socket: HubSocket, state: SocketState, topic: string, lastSent: number): HeldTopic {
    socket.unsubscribe(topic);
    const previous = state.held.get(topic);
    // A new object per hold: a slower earlier resume of the same topic sees it was replaced and gives way.
    const held: HeldTopic = { lastSent, buffer: previous?.buffer ?? [] };
    state.held.set(topic, held);
    let holders = this.#holders.get(topic);
    if (!holders) this.#holders.set(topic, (holders = new Set()));
    holders.add(socket);
    return held;
  }

  #sendAfter(socket: HubSocket, held: HeldTopic, event: DurableEvent): void {
    if (event.seq <= held.lastSent) return;
    held.lastSent = event.seq;
    socket.send(this.#frameOf(event));
  }

  #frameOf(event: DurableEvent): string {
    let frame = this.#frames.get(event);
    if (frame === undefined) this.#frames.set(event, (frame = JSON.stringify(event)));
    return frame;
  }
}
