// IDs are UUIDv7: opaque, URL-safe and time-ordered, so primary-key order is creation order.

/** A new time-ordered id. */
export function newId(): string {
  return Bun.randomUUIDv7();
}
