/**
 * The control socket: a Unix stream socket speaking JSON lines (protocol.ts)
 * and handing each request to the dispatcher.
 *
 * Safety properties, each with its reason:
 *  - A live socket is never stolen: at start an existing socket file is
 *    connected to first; if a daemon answers, start fails. Only a socket
 *    nobody listens on (ECONNREFUSED) is removed, and never a non-socket.
 *  - Mode 0660 and group `control_group`: the file mode is the first gate.
 *    Each connection's SO_PEERCRED/SO_PEERGROUPS is checked as well
 *    (defence in depth, Kea CVE-2025-32801..3), and read-only vs mutating
 *    commands are told apart in one place, `authorize`.
 *  - Bounded resources: a request line is at most 64 KiB (longer: result 1
 *    "request too large" and close), at most `maxConnections` connections
 *    (extra ones get result 1 and are closed), an idle connection is closed,
 *    and a peer that pipelines without reading stops being read.
 *  - The packet path shares this event loop, so a request never does
 *    synchronous heavy work: answers come from in-memory snapshots, and the
 *    only I/O (binding writes) waits for its fsyncs asynchronously (the
 *    create/write/rename steps are microsecond system calls, persist.ts).
 *  - Responses on one connection come in request order. binding-add and
 *    binding-del requests that follow each other may run concurrently (up to
 *    MAX_INFLIGHT): the context serialises mutations of one tap in the order
 *    they were started, and concurrent writes share directory fsyncs (group
 *    commit, persist.ts); a hook that pipelines adds is then not limited to
 *    one fsync round trip per add. Any other command waits for everything
 *    before it and runs alone, so it sees the effect of every earlier
 *    request, as if all ran one after another.
 */
import { once } from 'node:events';
import { chmod, chown, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { LITTLE_ENDIAN, SOL_SOCKET, isSystemError, loadNative, type NativeAddon } from '../io/native.js';
import { withinInterval } from '../util/interval.js';
import { answerLine, parseLine, type AuditEvent, type ControlContext, type ParsedLine, type Peer } from './dispatch.js';
import { MAX_REQUEST_BYTES, encodeResponse, failure, type ControlResponse } from './protocol.js';

export const SO_PEERCRED = 17;
/** Linux ≥ 4.13. */
export const SO_PEERGROUPS = 59;

export const DEFAULT_MAX_CONNECTIONS = 64;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/**
 * A request line must be complete within this time of its first byte: the idle
 * timeout alone lets a client trickling one byte at a time hold a connection
 * slot for ever.
 */
export const LINE_DEADLINE_MS = 10_000;
/** Requests queued on one connection before it stops being read (a client that never reads its answers). */
const MAX_QUEUED = 64;
/** Mutations of one connection running at once (see the module comment). */
export const MAX_INFLIGHT = 32;
/** Commands that may run concurrently with their neighbours: per-tap mutations the context serialises. */
const CONCURRENT = new Set(['binding-add', 'binding-del']);

// ---- peer credentials and policy -------------------------------------------

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups; empty when the kernel predates SO_PEERGROUPS. */
  groups: number[];
}

/**
 * Reads SO_PEERCRED (struct ucred {pid_t pid; uid_t uid; gid_t gid;}, host
 * byte order) and SO_PEERGROUPS (gid_t[]) of a connected Unix socket.
 * Both describe the peer as it was at connect() time.
 */
export function readPeerCredentials(fd: number, native: NativeAddon = loadNative()): PeerCredentials {
  const b = native.getsockoptBuffer(fd, SOL_SOCKET, SO_PEERCRED, 12);
  if (b.length < 12) throw new Error(`SO_PEERCRED returned ${b.length} bytes`);
  const u32 = (off: number) => (LITTLE_ENDIAN ? b.readUInt32LE(off) : b.readUInt32BE(off));
  const pid = LITTLE_ENDIAN ? b.readInt32LE(0) : b.readInt32BE(0);
  return { pid, uid: u32(4), gid: u32(8), groups: readPeerGroups(fd, native) };
}

function readPeerGroups(fd: number, native: NativeAddon): number[] {
  let raw: Buffer | undefined;
  // Most peers have a handful of groups; the kernel answers ERANGE when the buffer is short.
  for (const size of [256 * 4, 65536 * 4]) {
    try {
      raw = native.getsockoptBuffer(fd, SOL_SOCKET, SO_PEERGROUPS, size);
      break;
    } catch (e) {
      if (isSystemError(e) && e.code === 'ERANGE') continue;
      if (isSystemError(e) && e.code === 'ENOPROTOOPT') return []; // kernel < 4.13: primary gid only
      throw e;
    }
  }
  if (!raw) return [];
  const groups: number[] = [];
  for (let off = 0; off + 4 <= raw.length; off += 4) groups.push(LITTLE_ENDIAN ? raw.readUInt32LE(off) : raw.readUInt32BE(off));
  return groups;
}

export interface AccessPolicy {
  /** The daemon's own uid: its user may do what root may. */
  daemonUid: number;
  /** gid of `control_group`; undefined: root (and the daemon's user) only. */
  controlGid: number | undefined;
  /** Whether members of the control group may run mutating commands (default yes). */
  groupMayMutate: boolean;
}

export interface Access {
  allowed: boolean;
  mayMutate: boolean;
}

/** The one place that decides who may do what on the control socket. */
export function authorize(c: PeerCredentials, p: AccessPolicy): Access {
  if (c.uid === 0 || c.uid === p.daemonUid) return { allowed: true, mayMutate: true };
  if (p.controlGid !== undefined && (c.gid === p.controlGid || c.groups.includes(p.controlGid))) {
    return { allowed: true, mayMutate: p.groupMayMutate };
  }
  return { allowed: false, mayMutate: false };
}

/**
 * Resolves a group name (or a numeric gid) by reading the group file, as
 * getgrnam does for the "files" NSS source. No shelling out; NSS-only groups
 * (LDAP, sssd) can be given as a number.
 */
export async function resolveGroup(name: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  let text: string;
  try {
    text = await readFile(groupFile, 'utf8');
  } catch (e) {
    throw new Error(`control_group "${name}": cannot read ${groupFile}: ${(e as Error).message}`);
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 3 && /^\d+$/.test(f[2]!)) return Number(f[2]);
  }
  throw new Error(`control_group "${name}" is not a group in ${groupFile} (give a numeric gid for groups from NSS)`);
}

// ---- socket file ---------------------------------------------------------------

export class ControlSocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`control socket ${path} is in use: another onlinkd answers on it (stop it first, or set [general] control_socket)`);
    this.name = 'ControlSocketInUseError';
  }
}

/** What is at `path`: nothing, a socket nobody listens on, a live socket, or something else. */
export async function probeSocket(path: string, timeoutMs = 1000): Promise<'absent' | 'stale' | 'live' | 'not-socket'> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) return 'not-socket';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve('live'); // something holds it but is slow: assume alive rather than steal it
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('live');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED') resolve('stale');
      else if (e.code === 'ENOENT') resolve('absent');
      else reject(new Error(`cannot check control socket ${path}: ${e.message}`));
    });
  });
}

// ---- server ----------------------------------------------------------------------

export interface ControlServerOptions {
  path: string;
  context: ControlContext;
  log: Logger;
  /** `[general] control_group`: name or numeric gid; undefined = root only. */
  group?: string | undefined;
  /** Members of the control group may mutate (default true). */
  groupMayMutate?: boolean;
  /** Socket file mode (default 0660). */
  mode?: number;
  maxConnections?: number;
  idleTimeoutMs?: number;
  /** A request line must be complete this long after its first byte (default LINE_DEADLINE_MS). */
  lineDeadlineMs?: number;
  maxRequestBytes?: number;
  /** Group database (tests). */
  groupFile?: string;
  /** Credential reader (tests); default SO_PEERCRED via the native addon. */
  credentials?: (socket: net.Socket) => PeerCredentials;
  daemonUid?: number;
}

export class ControlServer {
  readonly path: string;
  readonly #opts: ControlServerOptions;
  readonly #log: Logger;
  readonly #server: net.Server;
  readonly #conns = new Set<Connection>();
  /** Every open socket, refused ones included, so close() leaves nothing behind. */
  readonly #sockets = new Set<net.Socket>();
  #policy: AccessPolicy;
  #closed = false;
  /** Refusals since the last "too many connections" log line (logged at most every 10 s). */
  #refused = 0;
  #refusedLoggedAt = 0;

  private constructor(opts: ControlServerOptions, server: net.Server, policy: AccessPolicy) {
    this.path = opts.path;
    this.#opts = opts;
    this.#log = opts.log;
    this.#server = server;
    this.#policy = policy;
    server.on('connection', (s) => this.#accept(s));
    server.on('error', (e) => this.#log.error({ err: e.message, socket: this.path }, 'control socket error'));
  }

  /** Creates the socket (see the module comment). Throws ControlSocketInUseError or a clear Error. */
  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    const path = opts.path;
    const controlGid = opts.group === undefined ? undefined : await resolveGroup(opts.group, opts.groupFile);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const state = await probeSocket(path);
    if (state === 'live') throw new ControlSocketInUseError(path);
    if (state === 'not-socket') throw new Error(`control socket path ${path} exists and is not a socket; refusing to remove it`);
    if (state === 'stale') {
      opts.log.info({ socket: path }, 'removing stale control socket (nothing answers on it)');
      await unlink(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw new Error(`cannot remove stale control socket ${path}: ${e.message}`);
      });
    }
    // allowHalfOpen: a client may shut down its sending side after the last request and still read the answers.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    server.listen(path);
    try {
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new ControlSocketInUseError(path);
      throw new Error(`cannot listen on control socket ${path}: ${err.message}`);
    }
    try {
      await chmod(path, opts.mode ?? 0o660);
      if (controlGid !== undefined) await chown(path, -1, controlGid);
    } catch (e) {
      server.close();
      throw new Error(`cannot set owner/mode of control socket ${path}: ${(e as Error).message}`);
    }
    const policy: AccessPolicy = {
      daemonUid: opts.daemonUid ?? process.geteuid?.() ?? 0,
      controlGid,
      groupMayMutate: opts.groupMayMutate ?? true,
    };
    opts.log.info({ socket: path, group: opts.group, gid: controlGid, mode: (opts.mode ?? 0o660).toString(8) }, 'control socket listening');
    return new ControlServer(opts, server, policy);
  }

  get connectionCount(): number {
    return this.#conns.size;
  }

  get policy(): Readonly<AccessPolicy> {
    return this.#policy;
  }

  /** Follows a `control_group` change on reload: new gid for the file and for the policy. */
  async setGroup(group: string | undefined): Promise<void> {
    const gid = group === undefined ? undefined : await resolveGroup(group, this.#opts.groupFile);
    if (gid !== undefined) await chown(this.path, -1, gid);
    this.#policy = { ...this.#policy, controlGid: gid };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const done = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await done; // libuv unlinks the socket file when the listening handle closes
  }

  #accept(socket: net.Socket): void {
    const max = this.#opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    socket.on('error', () => undefined); // peers vanish (EPIPE, ECONNRESET): not our problem
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    if (this.#closed || this.#conns.size >= max) {
      // A connection storm must not become a log storm: one line per 10 s with the count.
      this.#refused++;
      const now = Date.now();
      if (!withinInterval(now, this.#refusedLoggedAt, 10_000)) {
        this.#log.warn({ socket: this.path, limit: max, refused: this.#refused }, 'control connection refused: too many connections');
        this.#refusedLoggedAt = now;
        this.#refused = 0;
      }
      socket.end(encodeResponse(failure(`too many connections (limit ${max}); try again`)));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    let creds: PeerCredentials | undefined;
    try {
      creds = this.#opts.credentials
        ? this.#opts.credentials(socket)
        : readPeerCredentials((socket as unknown as { _handle: { fd: number } })._handle.fd);
    } catch (e) {
      // Fail closed: a peer we cannot identify gets nothing.
      this.#log.error({ err: (e as Error).message }, 'cannot read control peer credentials; refusing the connection');
    }
    const access = creds ? authorize(creds, this.#policy) : { allowed: false, mayMutate: false };
    const peer: Peer = {
      uid: creds?.uid ?? -1,
      gid: creds?.gid ?? -1,
      groups: creds?.groups ?? [],
      pid: creds?.pid,
      mayMutate: access.mayMutate,
    };
    if (!access.allowed) {
      this.#log.warn({ uid: peer.uid, gid: peer.gid, pid: peer.pid, socket: this.path }, 'control connection denied: peer is neither root nor in control_group');
    } else {
      this.#log.debug({ uid: peer.uid, pid: peer.pid }, 'control connection');
    }
    const conn = new Connection(socket, peer, access.allowed, {
      context: this.#opts.context,
      maxLine: this.#opts.maxRequestBytes ?? MAX_REQUEST_BYTES,
      idleMs: this.#opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      lineDeadlineMs: this.#opts.lineDeadlineMs ?? LINE_DEADLINE_MS,
      audit: (e) => this.#audit(e, peer),
      onTooLarge: () => this.#log.info({ uid: peer.uid, pid: peer.pid }, 'control request too large; connection closed'),
    });
    this.#conns.add(conn);
    socket.once('close', () => this.#conns.delete(conn));
  }

  #audit(e: AuditEvent, peer: Peer): void {
    const log = this.#log;
    switch (e.event) {
      case 'binding-added':
        log.info({ tap: e.tap, mac: e.mac, ip: e.ip, uid: e.uid, pid: peer.pid }, e.replaced ? 'binding replaced via control socket' : 'binding added via control socket');
        break;
      case 'binding-removed':
        log.info({ tap: e.tap, mac: e.mac, ip: e.ip, uid: e.uid, pid: peer.pid }, 'binding removed via control socket');
        break;
      case 'announced':
        log.info({ tap: e.tap, uid: e.uid }, 'announcement requested via control socket');
        break;
      case 'config-reloaded':
        log.info({ ok: e.ok, reason: e.reason, uid: e.uid }, 'configuration reload requested via control socket');
        break;
      case 'denied':
        log.warn({ command: e.command, uid: e.uid, gid: e.gid, pid: peer.pid }, 'control command denied: read-only access');
        break;
      case 'bad-request':
        log.info({ command: e.command, reason: e.reason, uid: e.uid }, 'bad control request');
        break;
      case 'failed':
        log.warn({ command: e.command, reason: e.reason, uid: e.uid }, 'control command failed');
        break;
    }
  }
}

interface ConnectionOptions {
  context: ControlContext;
  maxLine: number;
  idleMs: number;
  lineDeadlineMs: number;
  audit: (e: AuditEvent) => void;
  onTooLarge: () => void;
}

/** A request line, parsed once when it arrives (`concurrent`: a binding-add/-del), or a closing answer. */
type Item = { line: ParsedLine; concurrent: boolean } | { response: ControlResponse; close: true };

interface Running {
  response: Promise<ControlResponse>;
  /** A binding-add/-del, which may overlap others of its kind; anything else runs alone. */
  concurrent: boolean;
}

/** One client: splits lines, runs them (see the module comment), writes answers in order. */
class Connection {
  readonly #socket: net.Socket;
  readonly #peer: Peer;
  readonly #allowed: boolean;
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
  /** Armed while a line is partly received (see LINE_DEADLINE_MS). */
  #lineTimer: NodeJS.Timeout | undefined;

  constructor(socket: net.Socket, peer: Peer, allowed: boolean, o: ConnectionOptions) {
    this.#socket = socket;
    this.#peer = peer;
    this.#allowed = allowed;
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

  /** Starts the line deadline when a partial line begins, stops it when none is pending. */
  #armLineDeadline(): void {
    if (this.#size === 0) {
      clearTimeout(this.#lineTimer);
      this.#lineTimer = undefined;
    } else if (!this.#lineTimer) {
      this.#lineTimer = setTimeout(() => {
        if (!this.#inputDone && this.#size > 0) this.#finish(failure(`request line not completed within ${this.#o.lineDeadlineMs} ms`));
      }, this.#o.lineDeadlineMs);
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
    if (!this.#allowed) {
      // Answer the first request, then hang up: an unauthorised peer gets nothing else.
      this.#finish(failure('permission denied'));
      return;
    }
    const parsed = parseLine(line);
    const command = parsed.ok ? (parsed.request as { command?: unknown } | null)?.command : undefined;
    this.#queue.push({ line: parsed, concurrent: typeof command === 'string' && CONCURRENT.has(command) });
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
      const { concurrent } = item;
      const r = this.#running;
      if (r.length > 0 && (!concurrent || !r[0]!.concurrent || r.length >= MAX_INFLIGHT)) return;
      this.#queue.shift();
      // A malformed line is answered (and audited) from its parse error: the line is not parsed again.
      const response = answerLine(item.line, this.#o.context, this.#peer, { audit: this.#o.audit }).catch(
        (e: unknown) => failure(`internal error: ${(e as Error).message ?? String(e)}`),
      );
      r.push({ response, concurrent });
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
        if (running) {
          response = await running.response;
          this.#running.shift();
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
        if (close) {
          this.#queue.length = 0;
          this.#socket.end();
          // A peer that never reads must not hold the connection open forever.
          setTimeout(() => this.#socket.destroy(), 5000).unref();
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
