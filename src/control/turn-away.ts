/**
 * Peers the control socket refuses (not allowed, or over a connection
 * limit): each gets one answer and is hung up on without ever holding a
 * connection slot, and a storm of them costs neither descriptors nor
 * journal lines.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import { withinInterval } from '../util/interval.js';
import { safeTimeout } from '../util/timer.js';
import { encodeResponse, type ControlResponse } from './protocol.js';

/**
 * A turned-away peer's socket is shut for writing at once (the peer reads
 * the answer, then EOF) but closed only when the peer closes or after this
 * long: closing while the peer is still writing its request would make its
 * write fail (EPIPE) before it reads why it was refused.
 */
const TURN_AWAY_LINGER_MS = 200;
/** More turned-away sockets than this are closed as soon as the answer is written: a flood holds no descriptors. */
const MAX_LINGERING = 64;
/** Refusals are logged at most this often per kind, with the count in between. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export class TurnAway {
  readonly #log: Logger;
  #lingering = 0;
  readonly #refusals = new Map<string, { count: number; loggedAt: number }>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Logs the refusal (see `#refused`), answers once and hangs up. */
  refuse(socket: net.Socket, response: ControlResponse, kind: string, fields: Record<string, unknown>, msg: string): void {
    this.#refused(kind, fields, msg);
    const linger = this.#lingering < MAX_LINGERING;
    if (linger) {
      this.#lingering++;
      socket.once('close', () => this.#lingering--);
      safeTimeout('control-turn-away', () => socket.destroy(), TURN_AWAY_LINGER_MS, this.#log).unref();
    }
    socket.on('data', () => undefined); // read and drop what it sends meanwhile
    socket.once('end', () => socket.destroy());
    socket.end(encodeResponse(response), () => {
      if (!linger) socket.destroy();
    });
  }

  /** A connection storm must not become a log storm: the first refusal of a kind at once, then one line per interval with the count. */
  #refused(kind: string, fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const r = this.#refusals.get(kind) ?? { count: 0, loggedAt: -Infinity };
    this.#refusals.set(kind, r);
    r.count++;
    if (withinInterval(now, r.loggedAt, REFUSAL_LOG_INTERVAL_MS)) return;
    this.#log.warn({ ...fields, refused: r.count }, msg);
    r.count = 0;
    r.loggedAt = now;
  }
}
