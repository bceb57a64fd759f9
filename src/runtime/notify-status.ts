/**
 * What systemd is told (sd_notify): READY with a status line when start-up
 * is over, RELOADING/READY around a reload, STOPPING, and the status line
 * kept current as taps come and go. Thousands of taps attach at start and
 * VMs come and go in bursts: a datagram per change would be thousands of
 * datagrams for one line nobody reads that fast, so changes are coalesced
 * into at most one STATUS per second.
 */
import type { SdNotify } from '../io/sd-notify.js';
import { safeTimeout, type TimerErrorLog } from '../util/timer.js';

export const STATUS_DELAY_MS = 1000;

/** The status line: how many bindings are served (attached to their tap) of how many loaded. */
export function statusLine(attached: number, bindings: number): string {
  return `serving ${attached} of ${bindings} bindings`;
}

export interface NotifyStatusDeps {
  notify: Pick<SdNotify, 'enabled' | 'ready' | 'status' | 'reloading' | 'reloaded' | 'stopping'>;
  /** The current status line (statusLine). */
  line: () => string;
  log: TimerErrorLog & { warn(obj: Record<string, unknown>, msg: string): void };
  delayMs?: number;
}

export class NotifyStatus {
  readonly #d: NotifyStatusDeps;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: NotifyStatusDeps) {
    this.#d = deps;
  }

  get enabled(): boolean {
    return this.#d.notify.enabled;
  }

  /** READY=1: start-up is over. */
  ready(): void {
    const err = this.#d.notify.ready(this.#d.line());
    if (err) this.#d.log.warn({ err }, 'sd_notify READY failed');
  }

  reloading(): void {
    this.#d.notify.reloading();
  }

  reloaded(): void {
    this.#d.notify.reloaded(this.#d.line());
  }

  /** The status line changed: sent within delayMs, once for every change until then. */
  changed(): void {
    if (this.#timer || !this.#d.notify.enabled) return;
    this.#timer = safeTimeout(
      'sd-notify status',
      () => {
        this.#timer = undefined;
        this.#d.notify.status(this.#d.line());
      },
      this.#d.delayMs ?? STATUS_DELAY_MS,
      this.#d.log,
    );
    this.#timer.unref();
  }

  /** STOPPING=1; a pending status line is not sent. */
  stopping(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#d.notify.stopping();
  }
}
