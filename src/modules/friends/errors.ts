// Error codes of the friends module.
export const FriendErrors = {
  cannotBefriendSelf: 'cannot_befriend_self',
  cannotBlockSelf: 'cannot_block_self',
  alreadyFriends: 'already_friends',
  requestExists: 'request_exists',
  /** The same answer whichever side blocked: a blocked user must not learn who did. */
  blocked: 'blocked',
} as const;
