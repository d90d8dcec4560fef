// Recognising database errors services can turn into clear answers.

/**
 * True when `error` is a UNIQUE violation, of the constraint or index named by `target` if given
 * (`users.email`, `users_username_unique`). Only the driver's own message is read: drizzle's wrapper
 * quotes the whole statement, which names every column.
 */
export function isUniqueViolation(error: unknown, target?: string): boolean {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
  return cause.includes('UNIQUE constraint failed') && (target === undefined || cause.includes(target));
}
