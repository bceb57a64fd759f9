/**
 * Counters: per tap (requests and replies by kind, drops by reason, last
 * seen) and global (frames that could not be tied to a bound tap). Plain
 * objects so `statistic-get` can return them as they are.
 *
 * Keys are a fixed set: names in the code, never a value read from a frame
 * (a guest choosing keys, e.g. one per ARP operation, could create 65,536
 * of them per tap and make `statistic-get` stall the event loop). Callers
 * map a packet's value through a table and count what the table does not
 * know under one '...-other' key (packet/*-handler.ts). As a second line,
 * a record takes at most MAX_COUNTER_KEYS keys; anything new past that is
 * counted under OVERFLOW_KEY, so a future slip cannot grow one without bound.
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

/** Distinct keys a counter record may hold; the code names well under a hundred drop reasons. */
export const MAX_COUNTER_KEYS = 128;
/** Where counts past MAX_COUNTER_KEYS go. */
export const OVERFLOW_KEY = 'other';

/** Adds `n` to `record[key]`, or to OVERFLOW_KEY when the record is full. */
function bump(record: Record<string, number>, key: string, n: number): void {
  const v = record[key];
  if (v !== undefined) {
    record[key] = v + n;
    return;
  }
  // Only a new key pays for the count (a per-frame increment of a known key does not).
  if (Object.keys(record).length >= MAX_COUNTER_KEYS) key = OVERFLOW_KEY;
  record[key] = (record[key] ?? 0) + n;
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
    bump(c.requests, kind, 1);
    c.lastSeenMs = nowMs;
  }

  reply(tap: string, kind: string): void {
    bump(this.#tap(tap).replies, kind, 1);
  }

  drop(tap: string | undefined, reason: string, count = 1): void {
    const d = tap === undefined ? this.global.drops : this.#tap(tap).drops;
    bump(d, reason, count);
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
