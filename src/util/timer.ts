/**
 * Timers whose callback cannot take the daemon down. Node turns a throw out
 * of a setTimeout/setInterval callback into an 'uncaughtException' and, with
 * no handler, ends the process: one bad binding hitting a bug in the RA or
 * announcement code would stop every tap's service. Every timer the daemon's
 * long-lived components arm goes through `safeTimeout` / `safeInterval`, so a
 * throw is logged (at most once a minute per timer name, with the number of
 * throws in between) and the daemon goes on; the component is expected to
 * leave itself consistent (RaScheduler re-arms in a `finally`).
 *
 * Why no process-wide 'uncaughtException' handler that carries on: a throw
 * that reaches it comes from somewhere nobody guarded — an I/O callback, the
 * native addon's receive path — and the state it left (a half-updated tap
 * table, a socket registered twice) is unknown. Continuing could answer
 * guests from a wrong binding; exiting loses nothing, since bindings and the
 * server DUID are on disk and a restart withdraws nothing on the wire
 * (README "IPv6"). So such a throw ends the process with Node's own report
 * on stderr (the journal), and systemd restarts it (Restart=on-failure).
 * Timer callbacks are different: they run the daemon's own decisions on
 * its own state, between events, so one that fails has changed nothing the
 * next event depends on.
 */
import { OncePerInterval } from './interval.js';

/** Where a timer's throw is reported: a pino logger fits. */
export interface TimerErrorLog {
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Without a logger (tests, tools): stderr, so a throw is never silent. */
const stderrLog: TimerErrorLog = {
  error: (obj, msg) => console.error(msg, obj),
};

/** How often one timer's throws are logged. */
export const TIMER_ERROR_LOG_INTERVAL_MS = 60_000;

/** Per log sink (the daemon has one): when each timer name was last logged, and its throws since. */
interface SinkState {
  logged: OncePerInterval;
  /** Throws per timer name not logged yet (names are code constants: a small, fixed set). */
  unlogged: Map<string, number>;
}
const sinks = new WeakMap<TimerErrorLog, SinkState>();

function stateOf(log: TimerErrorLog): SinkState {
  let st = sinks.get(log);
  if (!st) sinks.set(log, (st = { logged: new OncePerInterval(1000), unlogged: new Map() }));
  return st;
}

/** Runs `fn`; a throw is logged as a failure of timer `what` and goes no further. */
export function runGuarded(what: string, fn: () => void, log: TimerErrorLog = stderrLog): void {
  try {
    fn();
  } catch (e) {
    const { logged, unlogged } = stateOf(log);
    const suppressed = unlogged.get(what) ?? 0;
    if (!logged.take(what, Date.now(), TIMER_ERROR_LOG_INTERVAL_MS)) {
      unlogged.set(what, suppressed + 1);
      return;
    }
    unlogged.delete(what);
    const err = e instanceof Error ? e.stack ?? e.message : String(e);
    log.error(suppressed > 0 ? { timer: what, err, suppressed } : { timer: what, err }, 'internal error in a timer callback; the daemon goes on');
  }
}

/** setTimeout whose callback cannot throw past it (see the module comment). */
export function safeTimeout(what: string, fn: () => void, ms: number, log?: TimerErrorLog): NodeJS.Timeout {
  return setTimeout(() => runGuarded(what, fn, log), ms);
}

/** setInterval whose callback cannot throw past it; a throw does not stop the next runs. */
export function safeInterval(what: string, fn: () => void, ms: number, log?: TimerErrorLog): NodeJS.Timeout {
  return setInterval(() => runGuarded(what, fn, log), ms);
}

/** `p`, or a rejection naming `what` once `ms` have passed (the timer is cleared either way). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
