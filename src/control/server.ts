/**
 * The control socket: a Unix stream socket speaking JSON lines (protocol.ts),
 * each request handed to the dispatcher. This module wires the pieces, each
 * in its own module with its reasons:
 *
 *  - socket-file.ts: where the socket may live (a directory nobody else can
 *    write), created with its mode (0660) and group (`control_group`) set
 *    before it is reachable, never by chmod/chown of a path someone could
 *    swap; a live socket is never stolen, a stale one is removed.
 *  - peer-credentials.ts, access.ts: every connection's SO_PEERCRED /
 *    SO_PEERGROUPS is checked at accept (defence in depth behind the file
 *    mode, Kea CVE-2025-32801..3). A refused peer gets "permission denied"
 *    and is closed at once: it never holds a connection slot. Allowed peers
 *    share `max` slots, of which a few only root may take, and one uid
 *    other than root holds at most `perUid`: no local user can lock root
 *    (the hooks) out.
 *  - connection.ts: framing, limits and request ordering of one connection.
 *  - A reload (reconfigure) applies `control_group` to the policy (open
 *    connections included: revoked or narrowed at once) and to the file;
 *    a changed `control_socket` needs a restart and says so, in the log and
 *    in status-get, which reports only what is in force.
 *
 * The packet path shares this event loop, so a request never does
 * synchronous heavy work: answers come from in-memory snapshots, and the
 * only I/O (binding writes) waits for its fsyncs asynchronously.
 */
import { once } from 'node:events';
import { mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { withinInterval } from '../util/interval.js';
import { DEFAULT_LIMITS, admit, authorize, resolveGroup, type AccessPolicy, type ConnectionLimits } from './access.js';
import { Connection } from './connection.js';
import type { AuditEvent, ControlContext, ControlSocketStatus, Peer } from './dispatch.js';
import { socketPeerCredentials, type PeerCredentials } from './peer-credentials.js';
import { MAX_REQUEST_BYTES, encodeResponse, failure, type ControlResponse } from './protocol.js';
import {
  ControlSocketInUseError, checkSocketDirectory, createSocketFile, probeSocket, removeSocketFileSync, setSocketOwnership, type SocketIdentity,
} from './socket-file.js';

export { DEFAULT_LIMITS, admit, authorize, resolveGroup, type Access, type AccessPolicy, type ConnectionLimits } from './access.js';
export { MAX_INFLIGHT } from './connection.js';
export { SO_PEERCRED, SO_PEERGROUPS, readPeerCredentials, type PeerCredentials } from './peer-credentials.js';
export { ControlSocketInUseError, checkSocketDirectory, probeSocket } from './socket-file.js';

export const DEFAULT_MAX_CONNECTIONS = DEFAULT_LIMITS.max;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/**
 * A request line must be complete within this time of its first byte: the idle
 * timeout alone lets a client trickling one byte at a time hold a connection
 * slot for ever.
 */
export const LINE_DEADLINE_MS = 10_000;
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
  /** Connections in all (default 64). */
  maxConnections?: number;
  /** Of those, how many only root may use (default 4). */
  rootReserve?: number;
  /** Connections one uid other than root may hold (default 16). */
  maxPerUid?: number;
  idleTimeoutMs?: number;
  /** A request line must be complete this long after its first byte (default LINE_DEADLINE_MS). */
  lineDeadlineMs?: number;
  maxRequestBytes?: number;
  /** Group database (tests). */
  groupFile?: string;
  /** Credential reader (tests); default SO_PEERCRED via the native addon. */
  credentials?: (socket: net.Socket) => PeerCredentials;
  daemonUid?: number;
  /** Test hook: runs when the socket exists, mode and group set, before it appears at `path`. */
  beforePublish?: () => void | Promise<void>;
}

/** What a reload asks of the control socket (`[general]`). */
export interface ControlConfig {
  socket: string;
  group: string | undefined;
}

/** Where the socket file is and what it is. */
interface SocketFile {
  /** `path` with the directory's links resolved: all file operations go there (socket-file.ts). */
  realPath: string;
  id: SocketIdentity;
  mode: number;
  gid: number;
  /** Its group without control_group: the daemon's group at start (a reload after a privilege drop keeps it). */
  defaultGid: number;
}

export class ControlServer {
  /** The path in force (a reload cannot move it). */
  readonly path: string;
  readonly #opts: ControlServerOptions;
  readonly #log: Logger;
  readonly #server: net.Server;
  readonly #file: SocketFile;
  readonly #limits: ConnectionLimits;
  /** Admitted connections with the credentials they were admitted with (a reload checks them again). */
  readonly #conns = new Map<Connection, PeerCredentials>();
  readonly #perUid = new Map<number, number>();
  /** Every open socket, turned-away ones included, so close() leaves nothing behind. */
  readonly #sockets = new Set<net.Socket>();
  #lingering = 0;
  #policy: AccessPolicy;
  /** `control_group` as in force (name as configured). */
  #group: string | undefined;
  /** Configuration a reload asked for that is not in force, with why (status-get `notApplied`). */
  readonly #notApplied = new Map<string, string>();
  #reconfiguring: Promise<void> = Promise.resolve();
  /** Connections closed by policy changes not yet reported in a log line. */
  #revoked = 0;
  #closed = false;
  readonly #refusals = new Map<string, { count: number; loggedAt: number }>();

  private constructor(opts: ControlServerOptions, server: net.Server, file: SocketFile, policy: AccessPolicy) {
    this.path = opts.path;
    this.#opts = opts;
    this.#log = opts.log;
    this.#server = server;
    this.#file = file;
    this.#policy = policy;
    this.#group = opts.group;
    this.#limits = {
      max: opts.maxConnections ?? DEFAULT_LIMITS.max,
      rootReserve: opts.rootReserve ?? DEFAULT_LIMITS.rootReserve,
      perUid: opts.maxPerUid ?? DEFAULT_LIMITS.perUid,
    };
    server.on('connection', (s) => this.#accept(s));
    server.on('error', (e) => this.#log.error({ err: e.message, socket: this.path }, 'control socket error'));
  }

  /** Creates the socket (see the module comment). Throws ControlSocketInUseError or a clear Error. */
  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    const path = opts.path;
    const controlGid = opts.group === undefined ? undefined : await resolveGroup(opts.group, opts.groupFile);
    const daemonUid = opts.daemonUid ?? process.geteuid?.() ?? 0;
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const dir = await checkSocketDirectory(dirname(path), [0, process.geteuid?.() ?? 0, daemonUid]);
    const realPath = join(dir, basename(path));
    const state = await probeSocket(realPath);
    if (state === 'live') throw new ControlSocketInUseError(path);
    if (state === 'not-socket') throw new Error(`control socket path ${path} exists and is not a socket; refusing to remove it`);
    if (state === 'stale') {
      opts.log.info({ socket: path }, 'removing stale control socket (nothing answers on it)');
      await unlink(realPath).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw new Error(`cannot remove stale control socket ${path}: ${e.message}`);
      });
    }
    // allowHalfOpen: a client may shut down its sending side after the last request and still read the answers.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    const mode = opts.mode ?? 0o660;
    // No control_group: the daemon's own group, set explicitly (a setgid directory would otherwise lend the socket its group).
    const defaultGid = process.getegid?.() ?? 0;
    const gid = controlGid ?? defaultGid;
    let id: SocketIdentity;
    try {
      id = await createSocketFile(realPath, { mode, gid, listen: (p) => listen(server, p, path), beforePublish: opts.beforePublish });
    } catch (e) {
      server.close();
      throw e;
    }
    const policy: AccessPolicy = { daemonUid, controlGid, groupMayMutate: opts.groupMayMutate ?? true };
    opts.log.info({ socket: path, group: opts.group, gid: controlGid, mode: mode.toString(8) }, 'control socket listening');
    return new ControlServer(opts, server, { realPath, id, mode, gid, defaultGid }, policy);
  }

  get connectionCount(): number {
    return this.#conns.size;
  }

  get policy(): Readonly<AccessPolicy> {
    return this.#policy;
  }

  /** What is in force, and what a reload asked for that is not (status-get). */
  status(): ControlSocketStatus {
    return {
      controlSocket: this.path,
      controlGroup: this.#group ?? null,
      notApplied: Object.fromEntries(this.#notApplied),
    };
  }

  /**
   * Follows a reload: `control_group` is applied to the access policy (open
   * connections included) and to the socket file; a changed
   * `control_socket` is reported as needing a restart. Never rejects: what
   * cannot be applied is logged and shown in status(). Calls run in order.
   */
  reconfigure(c: ControlConfig): Promise<void> {
    // Removing the group narrows access: done now, before anything asynchronous.
    if (c.group === undefined && this.#policy.controlGid !== undefined) this.#applyPolicy(undefined, undefined);
    this.#reconfiguring = this.#reconfiguring.then(() => this.#reconfigure(c)).catch((e: unknown) => {
      this.#log.error({ err: (e as Error).message }, 'control socket reconfiguration failed');
    });
    return this.#reconfiguring;
  }

  /** Resolves when every reconfigure() so far has been applied (or reported). */
  settled(): Promise<void> {
    return this.#reconfiguring;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // First, and synchronously: the daemon may exit right after calling close().
    removeSocketFileSync(this.#file.realPath, this.#file.id);
    const done = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await done;
  }

  async #reconfigure(c: ControlConfig): Promise<void> {
    if (this.#closed) return;
    this.#reconfigureSocketPath(c.socket);
    let gid: number | undefined;
    try {
      gid = c.group === undefined ? undefined : await resolveGroup(c.group, this.#opts.groupFile);
    } catch (e) {
      const why = `${(e as Error).message}; control_group ${this.#group === undefined ? '(none)' : JSON.stringify(this.#group)} stays in force`;
      this.#notApplied.set('control_group', why);
      this.#log.error({ group: c.group, inForce: this.#group ?? null }, `control_group not applied: ${why}`);
      return;
    }
    if (this.#closed) return;
    const fileGid = gid ?? this.#file.defaultGid;
    if (gid === this.#policy.controlGid && c.group === this.#group && fileGid === this.#file.gid && !this.#notApplied.has('control_group')) return;
    this.#applyPolicy(gid, c.group);
    const revoked = this.#revoked;
    this.#revoked = 0;
    try {
      await setSocketOwnership(this.#file.realPath, this.#file.id, this.#file.mode, fileGid);
      this.#file.gid = fileGid;
      this.#notApplied.delete('control_group');
    } catch (e) {
      // The peer check already enforces the new policy; say that the file lags behind.
      const why = `the socket file's group could not be changed to ${fileGid} (${(e as Error).message}); it stays ${this.#file.gid}, and the peer check enforces the new control_group`;
      this.#notApplied.set('control_group', why);
      this.#log.error({ socket: this.path, group: c.group ?? null, gid: gid ?? null }, `control_group applied to the peer check only: ${why}`);
      return;
    }
    this.#log.info(
      { socket: this.path, group: c.group ?? null, gid: gid ?? null, fileGid, revoked },
      c.group === undefined ? 'control_group removed: root and the daemon user only' : 'control_group applied',
    );
  }

  #reconfigureSocketPath(configured: string): void {
    if (configured === this.path) {
      if (this.#notApplied.delete('control_socket')) this.#log.info({ socket: this.path }, 'control_socket is again the path in use');
      return;
    }
    const why = `moving the control socket to ${configured} needs a restart; onlinkd still listens on ${this.path}`;
    this.#notApplied.set('control_socket', why);
    this.#log.warn({ socket: this.path, configured }, `control_socket changed: ${why}`);
  }

  /** Installs a policy and checks every open connection against it (those closed are counted in #revoked). */
  #applyPolicy(gid: number | undefined, group: string | undefined): void {
    this.#policy = { ...this.#policy, controlGid: gid };
    this.#group = group;
    for (const [conn, creds] of this.#conns) {
      if (conn.revoked) continue; // by an earlier step of this reload; leaves #conns on its 'close'
      const a = authorize(creds, this.#policy);
      if (!a.allowed) {
        conn.revoke();
        this.#revoked++;
        this.#log.info({ uid: creds.uid, gid: creds.gid, pid: creds.pid }, 'control connection closed: the peer is no longer allowed (control_group changed)');
      } else if (a.mayMutate !== conn.peer.mayMutate) {
        conn.restrict(a.mayMutate);
      }
    }
  }

  #accept(socket: net.Socket): void {
    socket.on('error', () => undefined); // peers vanish (EPIPE, ECONNRESET): not our problem
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    if (this.#closed) return void socket.destroy();
    let creds: PeerCredentials | undefined;
    try {
      creds = this.#opts.credentials ? this.#opts.credentials(socket) : socketPeerCredentials(socket);
    } catch (e) {
      // Fail closed: a peer we cannot identify gets nothing.
      this.#log.error({ err: (e as Error).message }, 'cannot read control peer credentials; refusing the connection');
    }
    const access = creds ? authorize(creds, this.#policy) : { allowed: false, mayMutate: false };
    if (!creds || !access.allowed) {
      this.#refused('denied', { uid: creds?.uid ?? -1, gid: creds?.gid ?? -1, pid: creds?.pid, socket: this.path }, 'control connection denied: peer is neither root nor in control_group');
      return this.#turnAway(socket, failure('permission denied'));
    }
    const admission = admit(creds.uid, this.#conns.size, this.#perUid.get(creds.uid) ?? 0, this.#limits);
    if (!admission.ok) {
      this.#refused('limit', { uid: creds.uid, pid: creds.pid, socket: this.path, limit: this.#limits.max, reason: admission.reason }, 'control connection refused: too many connections');
      return this.#turnAway(socket, failure(admission.reason));
    }
    const peer: Peer = { uid: creds.uid, gid: creds.gid, groups: creds.groups, pid: creds.pid, mayMutate: access.mayMutate };
    this.#log.debug({ uid: peer.uid, pid: peer.pid }, 'control connection');
    const conn = new Connection(socket, peer, {
      context: this.#opts.context,
      maxLine: this.#opts.maxRequestBytes ?? MAX_REQUEST_BYTES,
      idleMs: this.#opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      lineDeadlineMs: this.#opts.lineDeadlineMs ?? LINE_DEADLINE_MS,
      audit: (e) => this.#audit(e, peer),
      onTooLarge: () => this.#log.info({ uid: peer.uid, pid: peer.pid }, 'control request too large; connection closed'),
    });
    const uid = creds.uid;
    this.#conns.set(conn, creds);
    this.#perUid.set(uid, (this.#perUid.get(uid) ?? 0) + 1);
    socket.once('close', () => {
      this.#conns.delete(conn);
      const n = (this.#perUid.get(uid) ?? 1) - 1;
      if (n > 0) this.#perUid.set(uid, n);
      else this.#perUid.delete(uid);
    });
  }

  /** Answers once and hangs up; the peer never holds a slot (see TURN_AWAY_LINGER_MS). */
  #turnAway(socket: net.Socket, response: ControlResponse): void {
    const linger = this.#lingering < MAX_LINGERING;
    if (linger) {
      this.#lingering++;
      socket.once('close', () => this.#lingering--);
      setTimeout(() => socket.destroy(), TURN_AWAY_LINGER_MS).unref();
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

/** bind() and listen() at `at` (the private path); errors name the configured `path`. */
async function listen(server: net.Server, at: string, path: string): Promise<void> {
  server.listen(at);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  } catch (e) {
    throw new Error(`cannot listen on control socket ${path}: ${(e as Error).message}`);
  }
}
