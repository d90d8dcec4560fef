// Error codes of the groups module.
export const GroupErrors = {
  /** Only admins may change a group, add or remove others, or delete it. */
  notAdmin: 'not_admin',
  alreadyMember: 'already_member',
  groupFull: 'group_full',
  /** Demoting the only admin would leave the group without one; leaving promotes someone instead. */
  lastAdmin: 'last_admin',
} as const;
