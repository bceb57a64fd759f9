/**
 * One control connection: splits request lines, runs them, writes the
 * answers. Only peers the access policy allows get here (server.ts); a
 * reload can still revoke a connection or make it read-only.
 *
 *  - Bounded: a request line is at most `maxLine` bytes (longer: result 1
 *    "request too large" and close) and must be complete within
 *    `lineDeadlineMs` of its first byte; an idle connection is closed; a
 *    peer that pipelines without reading stops being read.
 *  - Responses come in request order. binding-add and binding-del requests
 *    that follow each other may run concurrently (up to MAX_INFLIGHT): the
 *    context serialises mutations of one tap in the order they were
 *    started, and concurrent writes share directory fsyncs (group commit,
 *    persist.ts); a hook that pipelines adds is then not limited to one
 *    fsync round trip per add. Any other command waits for everything
 *    before it and runs alone, so it sees the effect of every earlier
 *    request, as if all ran one after another.
 *  - `subscribe` turns the connection into an event stream once answered
 *    (result 0): from then on it carries one JSON line per event
 *    (runtime/events.ts) and takes no more requests (anything sent after
 *    it is ignored; a client wanting both opens two connections). The
 *    idle timeout no longer applies; the stream ends when the peer closes,
 *    or when it reads too slowly (a final `dropped` line).
 */
import type net from 'node:net';
import { answerLine, parseLine, type AuditEvent, type ControlContext, type ParsedLine, type Peer } from './dispatch.js';
import { encodeResponse, failure, type ControlResponse } from './protocol.js';
import { safeTimeout, type TimerErrorLog } from '../util/timer.js';

/** Requests queued on one connection before it stops being read (a client that never reads its answers). */
const MAX_QUEUED = 64;
/** Mutations of one connection running at once (see the module comment). */
export const MAX_INFLIGHT = 32;
/** Commands that may run concurrently with their neighbours: per-tap mutations the context serialises. */
const CONCURRENT = new Set(['binding-add', 'binding-del']);

export interface ConnectionOptions {
  context: ControlContext;
  maxLine: number;
  idleMs: number;
  lineDeadlineMs: number;
  audit: (e: AuditEvent) => void;
  onTooLarge: () => void;
  /** Where a throw out of this connection's timers is logged (util/timer.ts). */
  log?: TimerErrorLog;
}

/** A request line, parsed once when it arrives (`concurrent`: a binding-add/-del), or a closing answer. */
type Item = { line: ParsedLine; concurrent: boolean; subscribe: boolean } | { response: ControlResponse; close: true };

interface Running {
  response: Promise<ControlResponse>;
  /** A binding-add/-del, which may overlap others of its kind; anything else runs alone. */
  concurrent: boolean;
  /** A `subscribe`: answered with result 0, the connection becomes an event stream. */
  subscribe: boolean;
}

/** One client: splits lines, runs them (see the module comment), writes answers in order. */
export class Connection {
  readonly #socket: net.Socket;
  /** Mutable: a reload may narrow what the peer may do (`restrict`). */
  readonly #peer: Peer;
  readonly #o: ConnectionOptions;
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #queue: Item[] = [];
  /** Started requests, in request order (their answers are written in this order). */
  readonly #running: Running[] = [];
  #busy = false;
  /** No more input will be read (peer ended, too large, denied). */
  #inputDone = false;
  #paused = false;
  #revoked = false;
  /** Armed while a line is partly received (see LINE_DEADLINE_MS). */
  #lineTimer: NodeJS.Timeout | undefined;

  constructor(socket: net.Socket, peer: Peer, o: ConnectionOptions) {
    this.#socket = socket;
    this.#peer = peer;
    this.#o = o;
    // Idle: nothing read or written for idleMs. Close, unless a command is still running
    // (a slow fsync) -- but a peer that stopped reading its answers is closed regardless.
    socket.setTimeout(o.idleMs, () => {
      if (!this.#busy || socket.writableLength > 0) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => clearTimeout(this.#lineTimer));
  }

  get peer(): Readonly<Peer> {
    return this.#peer;
  }

  /** A reload made the peer read-only: requests not started yet are checked against that. */
  restrict(mayMutate: boolean): void {
    this.#peer.mayMutate = mayMutate;
  }

  get revoked(): boolean {
    return this.#revoked;
  }

  /** A reload took the peer's access away: nothing more is read or answered. */
  revoke(): void {
    this.#revoked = true;
    this.#inputDone = true;
    this.#queue.length = 0;
    this.#socket.destroy();
  }

  /** Starts the line deadline when a partial line begins, stops it when none is pending. */
  #armLineDeadline(): void {
    if (this.#size === 0) {
      clearTimeout(this.#lineTimer);
      this.#lineTimer = undefined;
    } else if (!this.#lineTimer) {
      this.#lineTimer = safeTimeout('control-line-deadline', () => {
        if (!this.#inputDone && this.#size > 0) this.#finish(failure(`request line not completed within ${this.#o.lineDeadlineMs} ms`));
      }, this.#o.lineDeadlineMs, this.#o.log);
      this.#lineTimer.unref();
    }
  }

  #onData(chunk: Buffer): void {
    if (this.#inputDone) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      if (this.#size + part.length > this.#o.maxLine) return this.#tooLarge();
      const line = this.#size === 0 ? part.toString('utf8') : Buffer.concat([...this.#chunks, part]).toString('utf8');
      this.#chunks = [];
      this.#size = 0;
      this.#armLineDeadline();
      this.#enqueueLine(line);
      if (this.#inputDone) return;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.#size + rest.length > this.#o.maxLine) return this.#tooLarge();
    // Copy: a subarray would pin the whole (up to 64 KiB) read buffer.
    this.#chunks.push(Buffer.from(rest));
    this.#size += rest.length;
    this.#armLineDeadline();
  }

  #onEnd(): void {
    if (this.#inputDone) return;
    // A last request without its newline (e.g. `printf '{...}' | socat`) still counts.
    if (this.#size > 0) {
      const line = Buffer.concat(this.#chunks).toString('utf8');
      this.#chunks = [];
      this.#size = 0;
      this.#enqueueLine(line);
    }
    this.#inputDone = true;
    void this.#pump();
  }

  #enqueueLine(line: string): void {
    if (line.trim() === '') return;
    const parsed = parseLine(line);
    const command = parsed.ok ? (parsed.request as { command?: unknown } | null)?.command : undefined;
    this.#queue.push({ line: parsed, concurrent: typeof command === 'string' && CONCURRENT.has(command), subscribe: command === 'subscribe' });
    if (this.#queue.length + this.#running.length >= MAX_QUEUED && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#start();
    void this.#pump();
  }

  /** Starts the queued requests that may run now (see the module comment). */
  #start(): void {
    while (this.#queue.length > 0 && !this.#socket.destroyed) {
      const item = this.#queue[0]!;
      if (!('line' in item)) return; // a closing answer waits for everything before it
      const { concurrent, subscribe } = item;
      const r = this.#running;
      if (r.length > 0 && (!concurrent || !r[0]!.concurrent || r.length >= MAX_INFLIGHT)) return;
      this.#queue.shift();
      // A malformed line is answered (and audited) from its parse error: the line is not parsed again.
      const response = answerLine(item.line, this.#o.context, this.#peer, { audit: this.#o.audit }).catch(
        (e: unknown) => failure(`internal error: ${(e as Error).message ?? String(e)}`),
      );
      r.push({ response, concurrent, subscribe });
    }
  }

  #tooLarge(): void {
    this.#o.onTooLarge();
    this.#finish(failure(`request too large (limit ${this.#o.maxLine} bytes per line)`));
  }

  /** Queues a last response after the pending ones, stops reading, closes after writing it. */
  #finish(response: ControlResponse): void {
    this.#inputDone = true;
    this.#chunks = [];
    this.#size = 0;
    this.#queue.push({ response, close: true });
    void this.#pump();
  }

  /** After a successful `subscribe` answer: the connection only carries events from now on. */
  #stream(): void {
    const s = this.#socket;
    const ctx = this.#o.context;
    this.#inputDone = true;
    this.#queue.length = 0;
    this.#chunks = [];
    this.#size = 0;
    clearTimeout(this.#lineTimer);
    s.setTimeout(0);
    if (this.#paused) s.resume(); // keep reading (and ignoring) so the peer's close is seen
    if (!ctx.subscribe) return void s.end();
    const log = this.#o.log;
    const unsubscribe = ctx.subscribe({
      write: (line) => s.write(line),
      once: (event, fn) => s.once(event, fn),
      end: (line) => endWithin(s, line, log),
      get destroyed() {
        return s.destroyed || s.writableEnded;
      },
    });
    s.on('end', () => s.end());
    s.on('close', unsubscribe);
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (;;) {
        if (this.#socket.destroyed) return;
        this.#start();
        // Stays in #running until answered: a command that must run alone waits for it.
        const running = this.#running[0];
        let response: ControlResponse;
        let close = false;
        let stream = false;
        if (running) {
          response = await running.response;
          this.#running.shift();
          stream = running.subscribe && response.result === 0;
        } else {
          const item = this.#queue[0];
          if (!item || 'line' in item) break; // nothing left (a line would have been started)
          this.#queue.shift();
          response = item.response;
          close = true;
        }
        if (this.#socket.destroyed) return;
        // Answers ready in the same turn go out in one write (uncorked on the next tick).
        if (this.#socket.writableCorked === 0) {
          this.#socket.cork();
          process.nextTick(() => this.#socket.uncork());
        }
        if (!this.#socket.write(encodeResponse(response))) await drainOrClose(this.#socket);
        if (stream) return this.#stream();
        if (close) {
          this.#queue.length = 0;
          this.#socket.end();
          // A peer that never reads must not hold the connection open forever.
          safeTimeout('control-close', () => this.#socket.destroy(), 5000, this.#o.log).unref();
          return;
        }
        if (this.#paused && this.#queue.length + this.#running.length < MAX_QUEUED / 2) {
          this.#paused = false;
          this.#socket.resume();
        }
      }
      if (this.#inputDone && this.#queue.length === 0 && this.#running.length === 0 && !this.#socket.destroyed) this.#socket.end();
    } finally {
      this.#busy = false;
    }
  }
}

/** Ends a stream that will not be read: a peer that never reads must not hold the connection open forever. */
function endWithin(s: net.Socket, line: string, log: TimerErrorLog | undefined): void {
  s.end(line);
  safeTimeout('control-close', () => s.destroy(), 5000, log).unref();
}

function drainOrClose(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}
