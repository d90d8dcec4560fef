// Which sockets join or leave which topics because of an event: derived from the event itself, so
// every node that delivers the event moves its own sockets, in step with the event stream.
import { chatTopic, presenceTopic, type DurableEvent } from './events.ts';

/** A durable topic a user joins, with the seq below which they may not replay (history from their join). */
export interface TopicJoin {
  topic: string;
  floor: number;
}

export interface TopicMove {
  userId: string;
  durable: TopicJoin[];
  ephemeral: string[];
}

export interface TopicMoves {
  /** Applied before the event is delivered, so a joining user's sockets receive it. */
  joinBefore: TopicMove[];
  /** Applied after it is delivered, so a leaving user's sockets still hear why they leave. */
  leaveAfter: TopicMove[];
  /** Topics every socket leaves after the event (a deleted group). */
  dropAfter: string[];
}

const NONE: TopicMoves = { joinBefore: [], leaveAfter: [], dropAfter: [] };

/** The user id a `user:<id>` topic belongs to. */
function ownerOf(topic: string): string {
  return topic.slice('user:'.length);
}

export function topicMovesOf(event: DurableEvent): TopicMoves {
  switch (event.type) {
    case 'FRIEND_REQUEST_ACCEPTED': {
      // New friends' sockets join their direct chat and each other's presence.
      const data = event.data as { chatId: string; friend: { user: { id: string } } };
      const move = { userId: ownerOf(event.topic), durable: [{ topic: chatTopic(data.chatId), floor: 0 }], ephemeral: [presenceTopic(data.friend.user.id)] };
      return { ...NONE, joinBefore: [move] };
    }
    case 'FRIEND_REMOVED': {
      // Former friends stop seeing each other's presence; the chat topic stays, its history is still theirs.
      const data = event.data as { userId: string };
      return { ...NONE, leaveAfter: [{ userId: ownerOf(event.topic), durable: [], ephemeral: [presenceTopic(data.userId)] }] };
    }
    case 'MEMBER_ADDED': {
      // A new member sees the group from their own MEMBER_ADDED on, never what was said before.
      const data = event.data as { userId: string };
      return { ...NONE, joinBefore: [{ userId: data.userId, durable: [{ topic: event.topic, floor: event.seq - 1 }], ephemeral: [] }] };
    }
    case 'MEMBER_REMOVED':
    case 'MEMBER_LEFT': {
      const data = event.data as { userId: string };
      return { ...NONE, leaveAfter: [{ userId: data.userId, durable: [{ topic: event.topic, floor: 0 }], ephemeral: [] }] };
    }
    case 'GROUP_DELETED':
      return { ...NONE, dropAfter: [event.topic] };
    default:
      return NONE;
  }
}
