/**
 * The control socket: a Unix stream socket speaking JSON lines (protocol.ts),
 * each request handed to the dispatcher. This module wires the pieces, each
 * in its own module with its reasons:
 *
 *  - listen-socket.ts, socket-file.ts, stale-socket.ts: where the socket
 *    may live (a directory nobody else can write), created with its mode
 *    (0660) and group (`control_group`) set before it is reachable, never
 *    by chmod/chown of a path someone could swap; a live socket is never
 *    taken over, a stale one is removed.
 *  - peer-credentials.ts, access.ts: every connection's SO_PEERCRED /
 *    SO_PEERGROUPS is checked at accept (defence in depth behind the file
 *    mode, Kea CVE-2025-32801..3). A refused peer gets "permission denied"
 *    and is closed at once: it never holds a connection slot. Allowed peers
 *    share `max` slots, of which a few only root may take, and one uid
 *    other than root holds at most `perUid`: no local user can lock root
 *    (the hooks) out.
 *  - connection.ts: framing, limits and request ordering of one connection;
 *    connection-slots.ts: the slots connections hold.
 *  - turn-away.ts: refused peers answered once, hung up, their log bounded.
 *  - audit-log.ts: what peers did, as log lines.
 *  - A reload (reconfigure) applies `control_group` to the policy (open
 *    connections included: revoked or narrowed at once) and to the file;
 *    a changed `control_socket` needs a restart and says so, in the log and
 *    in status-get, which reports only what is in force.
 *
 * The packet path shares this event loop, so a request never does
 * synchronous heavy work: answers come from in-memory snapshots, and the
 * only I/O (binding writes) waits for its fsyncs asynchronously.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import { DEFAULT_LIMITS, authorize, resolveGroup, type AccessPolicy } from './access.js';
import { logAudit } from './audit-log.js';
import { Connection } from './connection.js';
import { ConnectionSlots } from './connection-slots.js';
import type { ControlContext, ControlSocketStatus, Peer } from './dispatch.js';
import { socketPeerCredentials, type PeerCredentials } from './peer-credentials.js';
import { MAX_REQUEST_BYTES, failure } from './protocol.js';
import { listenControlSocket } from './listen-socket.js';
import { removeSocketFileSync, setSocketOwnership, type SocketIdentity } from './socket-file.js';
import { TurnAway } from './turn-away.js';

export { DEFAULT_LIMITS, admit, authorize, resolveGroup, type Access, type AccessPolicy, type ConnectionLimits } from './access.js';
export { MAX_INFLIGHT } from './connection.js';
export { SO_PEERCRED, SO_PEERGROUPS, readPeerCredentials, type PeerCredentials } from './peer-credentials.js';
export { checkSocketDirectory } from './socket-file.js';
export { ControlSocketInUseError, probeSocket } from './stale-socket.js';

export const DEFAULT_MAX_CONNECTIONS = DEFAULT_LIMITS.max;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/**
 * A request line must be complete within this time of its first byte: the idle
 * timeout alone lets a client trickling one byte at a time hold a connection
 * slot for ever.
 */
export const LINE_DEADLINE_MS = 10_000;

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
  /** Admitted connections (a reload checks them again). */
  readonly #slots: ConnectionSlots;
  readonly #turnAway: TurnAway;
  /** Every open socket, turned-away ones included, so close() leaves nothing behind. */
  readonly #sockets = new Set<net.Socket>();
  #policy: AccessPolicy;
  /** `control_group` as in force (name as configured). */
  #group: string | undefined;
  /** Configuration a reload asked for that is not in force, with why (status-get `notApplied`). */
  readonly #notApplied = new Map<string, string>();
  #reconfiguring: Promise<void> = Promise.resolve();
  /** Connections closed by policy changes not yet reported in a log line. */
  #revoked = 0;
  #closed = false;

  private constructor(opts: ControlServerOptions, server: net.Server, file: SocketFile, policy: AccessPolicy) {
    this.path = opts.path;
    this.#opts = opts;
    this.#log = opts.log;
    this.#server = server;
    this.#file = file;
    this.#policy = policy;
    this.#group = opts.group;
    this.#slots = new ConnectionSlots({
      max: opts.maxConnections ?? DEFAULT_LIMITS.max,
      rootReserve: opts.rootReserve ?? DEFAULT_LIMITS.rootReserve,
      perUid: opts.maxPerUid ?? DEFAULT_LIMITS.perUid,
    });
    this.#turnAway = new TurnAway(opts.log);
    server.on('connection', (s) => this.#accept(s));
    server.on('error', (e) => this.#log.error({ err: e.message, socket: this.path }, 'control socket error'));
  }

  /** Creates the socket (see the module comment). Throws ControlSocketInUseError or a clear Error. */
  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    const path = opts.path;
    const controlGid = opts.group === undefined ? undefined : await resolveGroup(opts.group, opts.groupFile);
    const daemonUid = opts.daemonUid ?? process.geteuid?.() ?? 0;
    const mode = opts.mode ?? 0o660;
    // No control_group: the daemon's own group, set explicitly (a setgid directory would otherwise lend the socket its group).
    const defaultGid = process.getegid?.() ?? 0;
    const gid = controlGid ?? defaultGid;
    const trustedUids = [0, process.geteuid?.() ?? 0, daemonUid];
    const { server, realPath, id } = await listenControlSocket(path, { mode, gid, trustedUids, log: opts.log, beforePublish: opts.beforePublish });
    const policy: AccessPolicy = { daemonUid, controlGid, groupMayMutate: opts.groupMayMutate ?? true };
    opts.log.info({ socket: path, group: opts.group, gid: controlGid, mode: mode.toString(8) }, 'control socket listening');
    return new ControlServer(opts, server, { realPath, id, mode, gid, defaultGid }, policy);
  }

  get connectionCount(): number {
    return this.#slots.size;
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
    for (const [conn, creds] of this.#slots.entries()) {
      if (conn.revoked) continue; // by an earlier step of this reload; frees its slot on its 'close'
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
      const who = { uid: creds?.uid ?? -1, gid: creds?.gid ?? -1, pid: creds?.pid, socket: this.path };
      return this.#turnAway.refuse(socket, failure('permission denied'), 'denied', who, 'control connection denied: peer is neither root nor in control_group');
    }
    const admission = this.#slots.admit(creds.uid);
    if (!admission.ok) {
      const who = { uid: creds.uid, pid: creds.pid, socket: this.path, limit: this.#slots.limits.max, reason: admission.reason };
      return this.#turnAway.refuse(socket, failure(admission.reason), 'limit', who, 'control connection refused: too many connections');
    }
    const peer: Peer = { uid: creds.uid, gid: creds.gid, groups: creds.groups, pid: creds.pid, mayMutate: access.mayMutate };
    this.#log.debug({ uid: peer.uid, pid: peer.pid }, 'control connection');
    const conn = new Connection(socket, peer, {
      context: this.#opts.context,
      maxLine: this.#opts.maxRequestBytes ?? MAX_REQUEST_BYTES,
      idleMs: this.#opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      lineDeadlineMs: this.#opts.lineDeadlineMs ?? LINE_DEADLINE_MS,
      audit: (e) => logAudit(this.#log, e, peer),
      onTooLarge: () => this.#log.info({ uid: peer.uid, pid: peer.pid }, 'control request too large; connection closed'),
      log: this.#log,
    });
    this.#slots.hold(conn, creds, socket);
  }
}
