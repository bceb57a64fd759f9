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

/** Per tap as kept: the last-seen time as epoch ms (a number per frame, not a string). */
interface TapState extends Omit<TapCounters, 'lastSeen'> {
  lastSeenMs: number | undefined;
}

function view(c: TapState): TapCounters {
  return {
    requests: { ...c.requests },
    replies: { ...c.replies },
    drops: { ...c.drops },
    lastSeen: c.lastSeenMs === undefined ? undefined : new Date(c.lastSeenMs).toISOString(),
  };
}

export class Stats {
  readonly #taps = new Map<string, TapState>();
  readonly global: {
    frames: number;
    drops: Record<string, number>;
    /** The packet sockets' kernel counters (PACKET_STATISTICS), summed over the per-tap sockets: frames
     * queued and frames lost to a full receive queue (per tap: drop reason `kernel-buffer-full`). */
    kernel: { packets: number; drops: number };
  } = { frames: 0, drops: {}, kernel: { packets: 0, drops: 0 } };

  #tap(tap: string): TapState {
    let c = this.#taps.get(tap);
    if (!c) {
      c = { requests: {}, replies: {}, drops: {}, lastSeenMs: undefined };
      this.#taps.set(tap, c);
    }
    return c;
  }

  /** A request of `kind` from the guest on `tap`, received at `nowMs` (epoch ms). */
  request(tap: string, kind: string, nowMs: number): void {
    const c = this.#tap(tap);
    c.requests[kind] = (c.requests[kind] ?? 0) + 1;
    c.lastSeenMs = nowMs;
  }

  reply(tap: string, kind: string): void {
    const c = this.#tap(tap);
    c.replies[kind] = (c.replies[kind] ?? 0) + 1;
  }

  drop(tap: string | undefined, reason: string, count = 1): void {
    const d = tap === undefined ? this.global.drops : this.#tap(tap).drops;
    d[reason] = (d[reason] ?? 0) + count;
  }

  /** A copy of the tap's counters, or undefined when it has none. */
  tap(tap: string): TapCounters | undefined {
    const c = this.#taps.get(tap);
    return c && view(c);
  }

  forget(tap: string): void {
    this.#taps.delete(tap);
  }

  snapshot(): { global: Stats['global']; taps: Record<string, TapCounters> } {
    return { global: structuredClone(this.global), taps: Object.fromEntries([...this.#taps].map(([k, v]) => [k, view(v)])) };
  }
}
