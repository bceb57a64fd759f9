/**
 * A token bucket on an injected clock: `take(now)` says whether one more
 * event fits the rate. Used per tap: the flood guard and solicited RAs.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly capacity: number,
    /** Tokens added per second. */
    readonly rate: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#last = now;
  }

  take(nowMs: number): boolean {
    // A clock stepping back adds nothing (and the rate goes on from the new time); a time that is
    // not a finite number (an invalid Date) adds nothing and is not kept.
    const valid = Number.isFinite(nowMs);
    const elapsed = valid && nowMs > this.#last ? (nowMs - this.#last) / 1000 : 0;
    if (valid) this.#last = nowMs;
    this.#tokens = Math.min(this.capacity, this.#tokens + elapsed * this.rate);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * One bucket per key (a tap), created on first use and replaced when the
 * configured capacity or rate changes (a reload), so limits follow the
 * settings without a restart.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  take(key: string, capacity: number, rate: number, nowMs: number): boolean {
    let b = this.#buckets.get(key);
    if (!b || b.capacity !== capacity || b.rate !== rate) {
      b = new TokenBucket(capacity, rate, nowMs);
      this.#buckets.set(key, b);
    }
    return b.take(nowMs);
  }

  forget(key: string): void {
    this.#buckets.delete(key);
  }
}
