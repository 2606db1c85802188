// The one leaf every room may import: assertions for host bugs (never for guest behaviour).

/** A broken invariant of this program (a host bug), never a guest's fault. */
export class HostBugError extends Error {
  override name = 'HostBugError';
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new HostBugError(msg);
}

/** Ends a `switch` over a union: a missed case becomes a type error. */
export function assertNever(x: never, what = 'value'): never {
  throw new HostBugError(`unexpected ${what}: ${String(x)}`);
}
