/**
 * Unsolicited Router Advertisements for every bound tap (keyed by ifindex).
 * The schedule itself is pure (protocols/ra-schedule.ts); this class keeps
 * the due times and calls `send`.
 *
 * One timer for all taps: the due RAs sit in a binary min-heap and a single
 * timeout is armed for the earliest. With 4096 taps, one libuv timer per tap
 * (and a new one per RA) was measurable idle work; the heap costs O(log n)
 * per RA. Entries of a detached or rescheduled tap are not searched for:
 * each carries its tap's generation and is skipped when it comes up stale
 * (the heap is rebuilt when stale entries outnumber live ones).
 *
 * Initial bursts are spread: MAX_INITIAL_RTR_ADVERTISEMENTS RAs when a
 * binding meets an up tap, but 4096 taps attaching at start would otherwise
 * send their first RA in the same millisecond. Each burst starts in the next
 * free slot, `initialSpacingMs` after the previous burst's start, so a lone
 * tap (the usual case: a VM boots) starts at once, and a crowd is spread at
 * 4000 bursts per second; no burst starts later than MAX_INITIAL_DELAY_MS
 * (RFC 4861 §6.2.4 bounds the initial intervals by
 * MAX_INITIAL_RTR_ADVERT_INTERVAL = 16 s). Solicited RAs do not go through
 * here and stay immediate.
 *
 * A daemon stop clears the schedule and sends nothing: routing goes on
 * without the daemon, so a restart must not withdraw anything. Only a
 * binding removed while its tap lives gets a final RA with router
 * lifetime 0 (sent by the caller on 'detached').
 */
import type { Settings } from '../config/config.js';
import { MAX_INITIAL_RTR_ADVERTISEMENTS, firstPeriodicDelayMs, initialBurstOffsetsMs, periodicIntervalMs } from '../protocols/ra-schedule.js';
import { advertises } from '../protocols/router-advert.js';
import type { Tap } from './tap-table.js';
import { MinHeap } from '../util/min-heap.js';
import { runGuarded, safeTimeout, type TimerErrorLog } from '../util/timer.js';

export type RaKind = 'initial' | 'periodic';

/**
 * Default gap between the starts of two initial bursts (see the module
 * comment): 4000 per second, so the 4096 taps of a start are spread over
 * about one second (at most ~400 first RAs per 100 ms instead of all of them
 * at once) and their bursts are still over 7 s after start, like unspread ones.
 */
export const INITIAL_SPACING_MS = 0.25;
/** Latest start of an initial burst after its tap attached (MAX_INITIAL_RTR_ADVERT_INTERVAL). */
export const MAX_INITIAL_DELAY_MS = 16_000;

interface TapState {
  tap: Tap;
  /** Bumped by detach/attach: heap entries of an older generation are stale. */
  gen: number;
  /** Bumped by every new burst: initial RAs of an older burst are stale. */
  burstGen: number;
}

interface Due {
  at: number;
  ifindex: number;
  gen: number;
  kind: RaKind;
  /** For 'initial': the burst it belongs to. */
  burstGen: number;
}

export interface RaSchedulerDeps {
  settings: () => Settings;
  send: (tap: Tap, kind: RaKind) => void;
  random?: () => number;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  /** Gap between initial-burst starts (default INITIAL_SPACING_MS). */
  initialSpacingMs?: number;
  /** Where a throw out of `send` is reported (util/timer.ts; default stderr). */
  log?: TimerErrorLog;
}

export class RaScheduler {
  readonly #taps = new Map<number, TapState>();
  readonly #heap = new MinHeap<Due>();
  readonly #d: RaSchedulerDeps;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #spacing: number;
  #gen = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  /** Earliest time the next initial burst may start. */
  #nextBurstSlot = -Infinity;

  constructor(deps: RaSchedulerDeps) {
    this.#d = deps;
    this.#random = deps.random ?? Math.random;
    this.#now = deps.now ?? (() => performance.now());
    this.#spacing = deps.initialSpacingMs ?? INITIAL_SPACING_MS;
  }

  #enabled(tap: Tap): boolean {
    return advertises(tap.binding, this.#d.settings().ipv6);
  }

  /** A binding met its tap: start the periodic schedule, and a burst if the tap is up. */
  attach(tap: Tap, burst = true): void {
    this.detach(tap.link.ifindex);
    if (!this.#enabled(tap)) return;
    const st: TapState = { tap, gen: ++this.#gen, burstGen: 0 };
    this.#taps.set(tap.link.ifindex, st);
    const now = this.#now();
    this.#heap.push({ at: now + firstPeriodicDelayMs(this.#d.settings().ipv6.raPeriod, this.#random), ifindex: tap.link.ifindex, gen: st.gen, kind: 'periodic', burstGen: 0 });
    if (burst && tap.link.up) this.#burst(st, now);
    this.#arm();
  }

  /** The tap changed state: coming up (again) earns a new initial burst. */
  linkChanged(tap: Tap, wasUp: boolean): void {
    const st = this.#taps.get(tap.link.ifindex);
    if (!st) return this.attach(tap);
    st.tap = tap;
    if (tap.link.up && !wasUp) {
      this.#burst(st, this.#now());
      this.#arm();
    }
  }

  detach(ifindex: number): void {
    // Its heap entries turn stale (generation no longer in #taps); the timer fires at most once for nothing.
    if (this.#taps.delete(ifindex) && this.#taps.size === 0) this.#clear();
  }

  /** Re-reads the settings (ra_period, enable_ipv6) for every tap. */
  reschedule(): void {
    // Keep each tap's real link state (periodic RAs check it); only skip the initial burst.
    for (const st of [...this.#taps.values()]) this.attach(st.tap, false);
  }

  stop(): void {
    this.#taps.clear();
    this.#clear();
  }

  get size(): number {
    return this.#taps.size;
  }

  /** Entries in the heap, live and stale (tests: the heap does not grow without bound). */
  get pending(): number {
    return this.#heap.size;
  }

  #clear(): void {
    this.#heap.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #burst(st: TapState, now: number): void {
    st.burstGen++;
    const start = Math.min(Math.max(now, this.#nextBurstSlot), now + MAX_INITIAL_DELAY_MS);
    this.#nextBurstSlot = start + this.#spacing;
    for (const off of initialBurstOffsetsMs()) {
      this.#heap.push({ at: start + off, ifindex: st.tap.link.ifindex, gen: st.gen, kind: 'initial', burstGen: st.burstGen });
    }
  }

  #live(e: Due): TapState | undefined {
    const st = this.#taps.get(e.ifindex);
    if (!st || st.gen !== e.gen) return undefined;
    if (e.kind === 'initial' && e.burstGen !== st.burstGen) return undefined;
    return st;
  }

  /** Arms the one timer for the earliest entry (if it is not armed for that time already). */
  #arm(): void {
    // Stale entries at the top would only cost empty wake-ups: drop them now.
    for (let top = this.#heap.peek(); top && !this.#live(top); top = this.#heap.peek()) this.#heap.pop();
    // A live tap has at most 1 + MAX_INITIAL_RTR_ADVERTISEMENTS entries: beyond twice that, most are stale.
    // (Rebuilding only after that many stale entries piled up keeps it amortised O(1) per entry.)
    if (this.#heap.size > 2 * (1 + MAX_INITIAL_RTR_ADVERTISEMENTS) * this.#taps.size + 1024) this.#heap.retain((e) => this.#live(e) !== undefined);
    const next = this.#heap.peek()?.at ?? Infinity;
    if (next === this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = next;
    if (next === Infinity) return;
    this.#timer = safeTimeout('ra-scheduler', () => this.#fire(), Math.max(0, Math.ceil(next - this.#now())), this.#d.log);
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#now();
    const period = this.#d.settings().ipv6.raPeriod;
    // Entries due by now; ones added while sending (none today) wait for the next turn.
    // (+1: a libuv timer may fire up to a millisecond before performance.now() says it is due.)
    try {
      for (let top = this.#heap.peek(); top && top.at <= now + 1; top = this.#heap.peek()) {
        const e = this.#heap.pop()!;
        const st = this.#live(e);
        if (!st) continue;
        if (e.kind === 'periodic') {
          this.#heap.push({ at: now + periodicIntervalMs(period, this.#random), ifindex: e.ifindex, gen: e.gen, kind: 'periodic', burstGen: 0 });
        }
        // One tap's failing send is logged and skipped: the other due RAs still go out.
        if (st.tap.link.up) runGuarded('ra-scheduler send', () => this.#d.send(st.tap, e.kind), this.#d.log);
      }
    } finally {
      // Re-armed whatever happened: one failing tap must not stop every tap's RAs.
      this.#arm();
    }
  }
}
