/**
 * Timers for unsolicited Router Advertisements, one chain per bound tap
 * (keyed by ifindex). The schedule itself is pure (protocols/ra-schedule.ts);
 * this class only arms and clears timers and calls `send`.
 *
 * A daemon stop clears the timers and sends nothing: routing goes on
 * without the daemon, so a restart must not withdraw anything. Only a
 * binding removed while its tap lives gets a final RA with router
 * lifetime 0 (sent by the caller on 'detached').
 */
import type { Settings } from './config.js';
import { firstPeriodicDelayMs, initialBurstOffsetsMs, periodicIntervalMs } from './protocols/ra-schedule.js';
import type { Tap } from './taps.js';

export type RaKind = 'initial' | 'periodic';

interface TapTimers {
  tap: Tap;
  periodic: NodeJS.Timeout | undefined;
  burst: NodeJS.Timeout[];
}

export interface RaSchedulerDeps {
  settings: () => Settings;
  send: (tap: Tap, kind: RaKind) => void;
  random?: () => number;
}

export class RaScheduler {
  readonly #timers = new Map<number, TapTimers>();
  readonly #d: RaSchedulerDeps;
  readonly #random: () => number;

  constructor(deps: RaSchedulerDeps) {
    this.#d = deps;
    this.#random = deps.random ?? Math.random;
  }

  #enabled(tap: Tap): boolean {
    const s = this.#d.settings();
    return s.ipv6.enable && tap.binding.subnet6 !== undefined;
  }

  /** A binding met its tap: start the periodic chain, and a burst if the tap is up. */
  attach(tap: Tap, burst = true): void {
    this.detach(tap.link.ifindex);
    if (!this.#enabled(tap)) return;
    const t: TapTimers = { tap, periodic: undefined, burst: [] };
    this.#timers.set(tap.link.ifindex, t);
    this.#armPeriodic(t, firstPeriodicDelayMs(this.#d.settings().ipv6.raPeriod, this.#random));
    if (burst && tap.link.up) this.#burst(t);
  }

  /** The tap changed state: coming up (again) earns a new initial burst. */
  linkChanged(tap: Tap, wasUp: boolean): void {
    const t = this.#timers.get(tap.link.ifindex);
    if (!t) return this.attach(tap);
    t.tap = tap;
    if (tap.link.up && !wasUp) this.#burst(t);
  }

  detach(ifindex: number): void {
    const t = this.#timers.get(ifindex);
    if (!t) return;
    clearTimeout(t.periodic);
    for (const b of t.burst) clearTimeout(b);
    this.#timers.delete(ifindex);
  }

  /** Re-reads the settings (ra_period, enable_ipv6) for every tap. */
  reschedule(): void {
    // Keep each tap's real link state (periodic RAs check it); only skip the initial burst.
    for (const t of [...this.#timers.values()]) this.attach(t.tap, false);
  }

  stop(): void {
    for (const i of [...this.#timers.keys()]) this.detach(i);
  }

  get size(): number {
    return this.#timers.size;
  }

  #armPeriodic(t: TapTimers, delayMs: number): void {
    t.periodic = setTimeout(() => {
      if (t.tap.link.up) this.#d.send(t.tap, 'periodic');
      this.#armPeriodic(t, periodicIntervalMs(this.#d.settings().ipv6.raPeriod, this.#random));
    }, delayMs);
    t.periodic.unref();
  }

  #burst(t: TapTimers): void {
    for (const b of t.burst) clearTimeout(b);
    t.burst = initialBurstOffsetsMs().map((ms) => {
      const h = setTimeout(() => {
        if (t.tap.link.up) this.#d.send(t.tap, 'initial');
      }, ms);
      h.unref();
      return h;
    });
  }
}
