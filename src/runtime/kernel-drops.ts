/**
 * Frames the kernel dropped because onlinkd read a tap's socket too slowly
 * (its receive queue was full): read from the tap sockets every 10 s and
 * before `statistic-get` answers, counted per tap (`kernel-buffer-full`)
 * and in `global.kernel`. A growing count is worth a warning, but a guest
 * flooding for hours must not write a line per read: one line per 10 s at
 * most, with the taps that lost frames since the previous line.
 */
import type { Logger } from 'pino';
import type { BindingStore } from '../bindings/store.js';
import type { TapSockets } from '../io/tap-sockets.js';
import { withinInterval } from '../util/interval.js';
import { safeInterval } from '../util/timer.js';
import type { Stats } from './stats.js';

export const KERNEL_STATS_INTERVAL_MS = 10_000;

export interface KernelDropsDeps {
  sockets: Pick<TapSockets, 'readKernelStats'>;
  /** A removed binding's counters are gone: its late drops are logged, not counted. */
  store: Pick<BindingStore, 'get'>;
  stats: Stats;
  log: Pick<Logger, 'warn' | 'error'>;
  /** Epoch milliseconds (default Date.now). */
  now?: () => number;
}

export class KernelDrops {
  readonly #d: KernelDropsDeps;
  readonly #now: () => number;
  /** Drops per tap not logged yet. */
  readonly #unlogged = new Map<string, number>();
  #loggedAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: KernelDropsDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Reads every KERNEL_STATS_INTERVAL_MS from now on, until stop(). */
  start(): void {
    if (this.#timer) return;
    this.#timer = safeInterval('kernel-stats', () => this.read(), KERNEL_STATS_INTERVAL_MS, this.#d.log);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Brings the counters up to date (the timer, and statistic-get before it answers). */
  read(): void {
    const k = this.#d.sockets.readKernelStats();
    for (const [tap, n] of k.drops) {
      if (this.#d.store.get(tap)) this.#d.stats.drop(tap, 'kernel-buffer-full', n);
      this.#unlogged.set(tap, (this.#unlogged.get(tap) ?? 0) + n);
    }
    this.#d.stats.global.kernel = k.total;
    const now = this.#now();
    if (this.#unlogged.size === 0 || withinInterval(now, this.#loggedAt, KERNEL_STATS_INTERVAL_MS)) return;
    const taps = Object.fromEntries(this.#unlogged);
    const lost = Object.values(taps).reduce((a, b) => a + b, 0);
    this.#d.log.warn({ lost, total: k.total.drops, taps }, 'packet socket receive queue overflowed: frames lost (a guest sends faster than its rate)');
    this.#unlogged.clear();
    this.#loggedAt = now;
  }
}
