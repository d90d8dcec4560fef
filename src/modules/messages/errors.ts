// Error codes of the messages module.
export const MessageErrors = {
  notFriends: 'not_friends',
  blocked: 'blocked',
} as const;
