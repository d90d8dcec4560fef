// The cross-node backplane on Redis pub/sub: a node publishes what it commits, and hears the topics its
// own sockets hold. Without REDIS_URL there is no broker: one node, nothing to cross.
import { RedisClient } from 'bun';
import type { Logger } from '../lib/logger.ts';
import { newId } from '../lib/ids.ts';

/** Channels are the topics with this prefix, so a Redis shared with other apps stays tidy. */
const CHANNEL_PREFIX = 'chat-api:';

export interface Broker {
  /** This node's id: messages carry it, so a node skips its own. */
  readonly nodeId: string;
  /** Sends a frame to the nodes that hold `topic`. */
  publish(topic: string, frame: string): void;
  /** Starts hearing `topic`; resolves once Redis confirmed (so anything published later is heard), or failed (logged). */
  subscribe(topic: string): Promise<void>;
  unsubscribe(topic: string): void;
  /** The client behind presence and other shared state. */
  readonly redis: RedisClient;
  close(): void;
}

export interface BrokerHandlers {
  /** A frame another node published on a topic this node holds. */
  onFrame(topic: string, frame: string): void;
  /**
   * The subscriber connection dropped and came back without its subscriptions (Redis forgets them):
   * frames published meanwhile were missed, so the hub subscribes again and asks sockets to resume.
   */
  onReconnect(): void;
}

export async function createRedisBroker(url: string, log: Logger, handlers: BrokerHandlers): Promise<Broker> {
  const nodeId = newId();
  const publisher = new RedisClient(url);
  // A connection in subscriber mode can run nothing else, hence two.
  const subscriber = new RedisClient(url);
  await Promise.all([publisher.connect(), subscriber.connect()]);
  subscriber.onconnect = () => {
    log.warn('redis subscriber reconnected; sockets will resume');
    handlers.onReconnect();
  };
  subscriber.onclose = (error) => log.error('redis subscriber closed', { error: error?.message });

  const listener = (message: string, channel: string) => {
    const space = message.indexOf(' ');
    if (message.slice(0, space) === nodeId) return;
    try {
      handlers.onFrame(channel.slice(CHANNEL_PREFIX.length), message.slice(space + 1));
    } catch (error) {
      log.error('bad frame from redis', { channel, error: error instanceof Error ? error.message : String(error) });
    }
  };

  return {
    nodeId,
    redis: publisher,
    publish(topic, frame) {
      publisher.publish(CHANNEL_PREFIX + topic, `${nodeId} ${frame}`).catch((error: Error) => log.error('redis publish failed', { topic, error: error.message }));
    },
    async subscribe(topic) {
      // A failure still resolves, so sockets are not held forever: they catch up from the log, but hear the
      // topic live on this node only once it is subscribed again (a reconnect resubscribes everything).
      await subscriber.subscribe(CHANNEL_PREFIX + topic, listener).catch((error: Error) => log.error('redis subscribe failed', { topic, error: error.message }));
    },
    unsubscribe(topic) {
      subscriber.unsubscribe(CHANNEL_PREFIX + topic).catch((error: Error) => log.error('redis unsubscribe failed', { topic, error: error.message }));
    },
    close() {
      subscriber.onconnect = null;
      subscriber.onclose = null;
      subscriber.close();
      publisher.close();
    },
  };
}
