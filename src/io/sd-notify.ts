/**
 * sd_notify(3) without libsystemd: one AF_UNIX datagram per state change to
 * $NOTIFY_SOCKET (path or abstract '@name'), through the native addon (Node's
 * dgram has no AF_UNIX). Without $NOTIFY_SOCKET (not under systemd) every
 * call is a no-op. The watchdog is pinged at half of $WATCHDOG_USEC when the
 * unit sets WatchdogSec and $WATCHDOG_PID is ours (or unset).
 */
import { AF_UNIX, SOCK_DGRAM, errnoName, loadNative } from './native.js';
import { safeInterval } from '../util/timer.js';

export class SdNotify {
  readonly #path: string | undefined;
  #fd: number | undefined;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#path = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const pid = env.WATCHDOG_PID ? Number(env.WATCHDOG_PID) : process.pid;
    this.watchdogMs = Number.isFinite(usec) && usec > 0 && pid === process.pid ? Math.floor(usec / 1000) : undefined;
  }

  /** The watchdog timeout systemd expects (ms), or undefined when none is set. */
  readonly watchdogMs: number | undefined;

  get enabled(): boolean {
    return this.#path !== undefined;
  }

  /** Sends `KEY=VALUE` lines; returns an error text instead of throwing. */
  notify(state: Record<string, string | number>): string | undefined {
    if (!this.#path) return undefined;
    const native = loadNative();
    if (this.#fd === undefined) this.#fd = native.socket(AF_UNIX, SOCK_DGRAM, 0);
    const text = Object.entries(state)
      .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
      .join('\n');
    const r = native.sendToUnix(this.#fd, this.#path, Buffer.from(text));
    return r < 0 ? errnoName(-r) : undefined;
  }

  ready(status: string): string | undefined {
    const err = this.notify({ READY: 1, STATUS: status, MAINPID: process.pid });
    this.#startWatchdog();
    return err;
  }

  status(status: string): void {
    this.notify({ STATUS: status });
  }

  reloading(): void {
    this.notify({ RELOADING: 1 });
  }

  reloaded(status: string): void {
    this.notify({ READY: 1, STATUS: status });
  }

  stopping(): void {
    this.notify({ STOPPING: 1 });
    this.close();
  }

  /**
   * Pings at half the timeout from a timer on the event loop: if the loop
   * stalls (a wedged packet path), pings stop and systemd restarts us.
   */
  #startWatchdog(): void {
    if (!this.watchdogMs || this.#watchdog) return;
    this.#watchdog = safeInterval('sd-notify watchdog', () => this.notify({ WATCHDOG: 1 }), Math.max(500, Math.floor(this.watchdogMs / 2)));
    this.#watchdog.unref();
  }

  close(): void {
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    if (this.#fd !== undefined) loadNative().close(this.#fd);
    this.#fd = undefined;
  }
}
