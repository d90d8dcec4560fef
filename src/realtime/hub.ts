// The hub knows this node's sockets and their topics, delivers events, and makes resume exact.
import type { ServerWebSocket } from 'bun';
import type { DurableEvent, EphemeralEventType, ReplayResult } from './events.ts';
import { topicMovesOf, type TopicJoin } from './topic-moves.ts';

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
}

export interface SocketState {
  userId: string;
  /** Durable topics this socket belongs to (user, chats, groups), each with its floor: a resume never replays at or below it. */
  topics: Map<string, number>;
  held: Map<string, HeldTopic>;
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

export class Hub {
  readonly #sockets = new Map<HubSocket, SocketState>();
  readonly #byUser = new Map<string, Set<HubSocket>>();
  /** topic → sockets holding it, so a publish can fill their buffers. */
  readonly #holders = new Map<string, Set<HubSocket>>();
  #publisher: Publisher | null = null;

  /** Connects the hub to the listening server (its publish reaches native subscribers). */
  attach(publisher: Publisher): void {
    this.#publisher = publisher;
  }

  /**
   * Registers a socket as soon as it opens, before its topics are known, so topic moves from events
   * committed while they are read from the database reach it too (see `load`).
   */
  add(socket: HubSocket, userId: string): void {
    this.#sockets.set(socket, { userId, topics: new Map(), held: new Map(), leftWhileLoading: new Set() });
    let sockets = this.#byUser.get(userId);
    if (!sockets) this.#byUser.set(userId, (sockets = new Set()));
    sockets.add(socket);
  }

  /**
   * Gives a socket the topics read for it: durable ones held until `goLive` or a resume, ephemeral ones
   * live. Topics that moves already added are kept as they are; ones moves took away are skipped.
   */
  load(socket: HubSocket, durableTopics: TopicJoin[], ephemeralTopics: string[]): void {
    const state = this.#sockets.get(socket);
    if (!state?.leftWhileLoading) return;
    const left = state.leftWhileLoading;
    state.leftWhileLoading = null;
    for (const { topic, floor } of durableTopics) {
      if (left.has(topic) || state.topics.has(topic)) continue;
      state.topics.set(topic, floor);
      this.#hold(socket, state, topic, Number.POSITIVE_INFINITY);
    }
    for (const topic of ephemeralTopics) if (!left.has(topic)) socket.subscribe(topic);
  }

  /** Forgets a closed socket; returns true when it was the user's last one on this node. */
  remove(socket: HubSocket): boolean {
    const state = this.#sockets.get(socket);
    if (!state) return false;
    for (const topic of state.held.keys()) this.#holders.get(topic)?.delete(socket);
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
   * Delivers committed durable events, in seq order, to live subscribers and held buffers, moving
   * sockets between topics as the events say (a new member joins before hearing MEMBER_ADDED, a
   * removed one leaves right after MEMBER_REMOVED), so a move is exact within the stream.
   */
  publishDurable(events: DurableEvent[]): void {
    for (const event of events) {
      const moves = topicMovesOf(event);
      for (const move of moves.joinBefore) this.joinTopics(move.userId, move.durable, move.ephemeral);
      const frame = JSON.stringify(event);
      this.#publisher?.publish(event.topic, frame);
      const holders = this.#holders.get(event.topic);
      if (holders) for (const socket of holders) this.#sockets.get(socket)?.held.get(event.topic)?.buffer.push(event);
      for (const move of moves.leaveAfter) this.leaveTopics(move.userId, move.durable.map((join) => join.topic), move.ephemeral);
      for (const topic of moves.dropAfter) this.#dropTopic(topic);
    }
  }

  /** Ephemeral events (typing, presence) go to live subscribers only and are never replayed. */
  publishEphemeral(topic: string, type: EphemeralEventType, data: unknown): void {
    this.#publisher?.publish(topic, JSON.stringify({ topic, type, data }));
  }

  /** Adds topics to every socket of a user at once (a new friend, a new group); new topics start live. */
  joinTopics(userId: string, durableTopics: TopicJoin[], ephemeralTopics: string[] = []): void {
    for (const socket of this.#byUser.get(userId) ?? []) {
      const state = this.#sockets.get(socket)!;
      for (const { topic, floor } of durableTopics) {
        state.leftWhileLoading?.delete(topic);
        if (state.topics.has(topic)) continue;
        state.topics.set(topic, floor);
        socket.subscribe(topic);
      }
      for (const topic of ephemeralTopics) {
        state.leftWhileLoading?.delete(topic);
        socket.subscribe(topic);
      }
    }
  }

  /** Takes topics away from every socket of a user at once (removed from a group, unfriended, blocked). */
  leaveTopics(userId: string, durableTopics: string[], ephemeralTopics: string[] = []): void {
    for (const socket of this.#byUser.get(userId) ?? []) {
      const state = this.#sockets.get(socket)!;
      for (const topic of [...durableTopics, ...ephemeralTopics]) state.leftWhileLoading?.add(topic);
      for (const topic of durableTopics) {
        state.topics.delete(topic);
        state.held.delete(topic);
        this.#holders.get(topic)?.delete(socket);
        socket.unsubscribe(topic);
      }
      for (const topic of ephemeralTopics) socket.unsubscribe(topic);
    }
  }

  /** Every socket leaves a topic (a deleted group). */
  #dropTopic(topic: string): void {
    for (const [socket, state] of this.#sockets) {
      if (!state.topics.delete(topic)) continue;
      state.held.delete(topic);
      socket.unsubscribe(topic);
    }
    this.#holders.delete(topic);
  }

  /**
   * Catches a socket up on one topic from `cursor`: hold it, read the log, then send the log's events
   * and the buffered ones past what was sent, and go live. Returns false when retention pruned events
   * past the cursor (the caller answers RESYNC_REQUIRED) or the topic is not the socket's.
   */
  async resume(socket: HubSocket, topic: string, cursor: number, readAfter: (cursor: number) => Promise<ReplayResult>): Promise<'ok' | 'resync' | 'forbidden'> {
    const state = this.#sockets.get(socket);
    const floor = state?.topics.get(topic);
    if (!state || floor === undefined) return 'forbidden';
    // A group member never replays what was said before they joined, whatever cursor they send.
    cursor = Math.max(cursor, floor);
    const held = this.#hold(socket, state, topic, cursor);
    const replay = await readAfter(cursor);
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
   */
  goLive(socket: HubSocket, topic: string): void {
    const state = this.#sockets.get(socket);
    const held = state?.held.get(topic);
    if (!state || !held) return;
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
    socket.send(JSON.stringify(event));
  }
}
