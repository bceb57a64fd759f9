/**
 * "At most once every N ms" on a wall clock, for log lines that must not
 * flood the journal. A clock that stepped back (now before the last time)
 * does not mute them until it catches up: the interval counts as over.
 */

/** Whether `now` is less than `ms` after `last` (and not before it: a clock stepped back is never within). */
export function withinInterval(now: number, last: number, ms: number): boolean {
  return now - last < ms && now >= last;
}

/**
 * The last time each key was let through; `take` says whether a key may go
 * again now (and, if so, records now). Bounded under hostile churn: past
 * `maxKeys` keys it forgets them all.
 */
export class OncePerInterval {
  readonly #last = new Map<string, number>();

  constructor(readonly maxKeys = 10_000) {}

  take(key: string, now: number, ms: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && withinInterval(now, last, ms)) return false;
    if (this.#last.size > this.maxKeys) this.#last.clear();
    this.#last.set(key, now);
    return true;
  }
}
