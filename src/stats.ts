/**
 * Counters: per tap (requests and replies by kind, drops by reason, last
 * seen) and global (frames that could not be tied to a bound tap). Plain
 * objects so `statistic-get` can return them as they are.
 */

export interface TapCounters {
  requests: Record<string, number>;
  replies: Record<string, number>;
  drops: Record<string, number>;
  /** ISO time of the last frame received from the guest. */
  lastSeen: string | undefined;
}

export class Stats {
  readonly #taps = new Map<string, TapCounters>();
  readonly global: {
    frames: number;
    drops: Record<string, number>;
    /** The packet sockets' kernel counters (PACKET_STATISTICS), summed over the per-tap sockets: frames
     * queued and frames lost to a full receive queue (per tap: drop reason `kernel-buffer-full`). */
    kernel: { packets: number; drops: number };
  } = { frames: 0, drops: {}, kernel: { packets: 0, drops: 0 } };

  #tap(tap: string): TapCounters {
    let c = this.#taps.get(tap);
    if (!c) {
      c = { requests: {}, replies: {}, drops: {}, lastSeen: undefined };
      this.#taps.set(tap, c);
    }
    return c;
  }

  request(tap: string, kind: string, now: Date): void {
    const c = this.#tap(tap);
    c.requests[kind] = (c.requests[kind] ?? 0) + 1;
    c.lastSeen = now.toISOString();
  }

  reply(tap: string, kind: string): void {
    const c = this.#tap(tap);
    c.replies[kind] = (c.replies[kind] ?? 0) + 1;
  }

  drop(tap: string | undefined, reason: string, count = 1): void {
    const d = tap === undefined ? this.global.drops : this.#tap(tap).drops;
    d[reason] = (d[reason] ?? 0) + count;
  }

  tap(tap: string): TapCounters | undefined {
    return this.#taps.get(tap);
  }

  forget(tap: string): void {
    this.#taps.delete(tap);
  }

  snapshot(): { global: Stats['global']; taps: Record<string, TapCounters> } {
    return { global: structuredClone(this.global), taps: Object.fromEntries([...this.#taps].map(([k, v]) => [k, structuredClone(v)])) };
  }
}
