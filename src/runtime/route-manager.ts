/**
 * Host routes to bound taps, kept over NETLINK_ROUTE (never by running
 * ip(8)); what each tap needs is wanted-routes.ts's.
 *
 * Restart without flap: at open, one RTM_GETROUTE dump reads the routes that
 * carry onlinkd's protocol number (RTPROT_ONLINKD) into `installed`. A tap
 * that meets its binding gets only the routes missing from it; a route that
 * is already there is not sent again (a replace would still be a change
 * notified to every listener). When start-up is over, sweep() removes the
 * installed routes of onlinkd's protocol that no binding wants (a VM
 * unbound while onlinkd was down). Routes of any other protocol are never
 * read into `installed`, so never touched. On stop, routes stay: guests
 * keep working while onlinkd restarts.
 *
 * Requests are asynchronous: each asks for an ACK, whose error is logged
 * naming the route (ESRCH on delete is normal: a tap that disappears takes
 * its routes with it in the kernel).
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/settings.js';
import { AF_NETLINK, NETLINK_ROUTE, SOCK_RAW, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE, errnoName, loadNative } from '../io/native.js';
import type { NetlinkTransport } from '../io/link-monitor.js';
import { NLM_F_MULTI, RTPROT_ONLINKD, buildRouteDump, buildRouteRequest, parseRouteMessages, routeKey, type Route } from '../io/route-netlink.js';
import type { Tap } from './tap-table.js';
import { wantedRoutes } from './wanted-routes.js';

const ESRCH = 3;
const EEXIST = 17;
const ENODEV = 19;
const ENOBUFS = 105;
/**
 * Receive buffer: every request is ACKed, and a start with thousands of
 * bindings sends thousands of requests before the loop reads one ACK (an
 * ACK costs ~768 bytes of buffer: the default ~212 KiB holds ~280).
 */
const RECEIVE_BUFFER = 16 * 1024 * 1024;

/** A NETLINK_ROUTE socket in no multicast group: requests, their ACKs and dump replies only. */
export function openRouteSocket(): NetlinkTransport {
  const n = loadNative();
  const fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  try {
    try {
      n.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER); // CAP_NET_ADMIN, which routing needs anyway
    } catch {
      n.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER);
    }
    n.bindNetlink(fd, 0);
  } catch (e) {
    n.close(fd);
    throw e;
  }
  return { send: (d) => n.send(fd, d), start: (cb) => n.startRecv(fd, (err, data) => cb(err, data)), close: () => n.close(fd) };
}

/** Whether this process holds `cap` in its effective set (CapEff of /proc/self/status, proc(5)). */
export function hasEffectiveCapability(cap: number, status = (): string => readFileSync('/proc/self/status', 'utf8')): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status());
    return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(cap)) & 1n) === 1n;
  } catch {
    return false;
  }
}

export interface RouteManagerDeps {
  transport: NetlinkTransport;
  routing: () => Settings['routing'];
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

export class RouteManager {
  readonly #d: RouteManagerDeps;
  /** Routes of our protocol in the kernel, as far as we know (dump, then our own requests). */
  readonly #installed = new Map<string, Route>();
  /** What each bound tap wants now, by tap name. */
  readonly #wanted = new Map<string, Route[]>();
  /** Requests waiting for their ACK: what to say if it is an error. */
  readonly #pending = new Map<number, { kind: 'add' | 'delete'; route: Route; tap: string }>();
  #seq = Math.floor(Math.random() * 0x7fffffff);
  #dumpSeq: number | undefined;
  #resolveReady!: () => void;
  #closed = false;
  /** Resolves once the dump of existing routes is read (or on close). */
  readonly ready: Promise<void>;

  constructor(deps: RouteManagerDeps) {
    this.#d = deps;
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve));
    deps.transport.start((err, data) => this.#receive(err, data));
    this.#dumpSeq = this.#nextSeq();
    const r = deps.transport.send(buildRouteDump(this.#dumpSeq));
    if (r < 0) throw new Error(`route dump request failed: ${errnoName(r)}`);
  }

  static open(routing: () => Settings['routing'], log: RouteManagerDeps['log']): RouteManager {
    return new RouteManager({ transport: openRouteSocket(), routing, log });
  }

  /** A binding met its tap (or replaced the tap's binding): install what it wants, remove what it no longer wants. */
  attach(tap: Tap): void {
    const name = tap.binding.tap;
    const now = wantedRoutes(tap.binding, tap.link.ifindex, this.#d.routing());
    const keep = new Set(now.map(routeKey));
    for (const old of this.#wanted.get(name) ?? []) if (!keep.has(routeKey(old))) this.#request('delete', old, name);
    // The kernel refuses an IPv4 route to a down device and flushes a device's routes when it goes down: added when it comes up.
    if (tap.link.up) for (const r of now) if (!this.#installed.has(routeKey(r))) this.#request('add', r, name);
    if (now.length > 0) this.#wanted.set(name, now);
    else this.#wanted.delete(name);
  }

  /** The tap went up (its routes are added) or down (the kernel flushed them). */
  linkChanged(tap: Tap): void {
    if (tap.link.up) this.attach(tap);
    else for (const r of this.#wanted.get(tap.binding.tap) ?? []) this.#installed.delete(routeKey(r));
  }

  /** The binding and its tap parted: its routes go. */
  detach(binding: Binding): void {
    for (const r of this.#wanted.get(binding.tap) ?? []) this.#request('delete', r, binding.tap);
    this.#wanted.delete(binding.tap);
  }

  /** Start-up is over: our routes that no binding wants are stale (removed while onlinkd was down). */
  sweep(): void {
    const wanted = new Set([...this.#wanted.values()].flat().map(routeKey));
    for (const [key, r] of this.#installed) if (!wanted.has(key)) this.#request('delete', r, undefined);
  }

  /** Requests sent whose ACK has not come yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Every route onlinkd manages now, by tap. */
  managed(): Array<{ tap: string; route: Route }> {
    return [...this.#wanted].flatMap(([tap, routes]) => routes.map((route) => ({ tap, route })));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#d.transport.close();
    this.#resolveReady();
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    return this.#seq;
  }

  #request(kind: 'add' | 'delete', route: Route, tap: string | undefined): void {
    if (this.#closed) return;
    const seq = this.#nextSeq();
    const r = this.#d.transport.send(buildRouteRequest(kind, route, seq));
    const key = routeKey(route);
    if (kind === 'add') this.#installed.set(key, route);
    else this.#installed.delete(key);
    if (r < 0) {
      this.#d.log.error({ tap, route: describe(route), err: errnoName(r) }, `cannot send the route ${kind} request`);
      return;
    }
    this.#pending.set(seq, { kind, route, tap: tap ?? '' });
  }

  #receive(err: number, data: Buffer | null): void {
    if (this.#closed) return;
    if (err !== 0 || data === null) {
      // ENOBUFS: replies were dropped. Their requests are done or failed; which, no one can say now.
      this.#d.log.warn({ err: errnoName(err), unanswered: this.#pending.size }, err === ENOBUFS ? 'route replies lost (receive buffer full): refusals among them are not logged' : 'route netlink socket error');
      if (err === ENOBUFS) this.#pending.clear();
      if (this.#dumpSeq !== undefined) {
        this.#dumpSeq = undefined; // the dump is incomplete: a route missing from it is re-sent as a replace, which is harmless
        this.#resolveReady();
      }
      return;
    }
    for (const m of parseRouteMessages(data)) {
      if (m.type === 'route') {
        if (m.seq === this.#dumpSeq && m.flags & NLM_F_MULTI && m.protocol === RTPROT_ONLINKD) this.#installed.set(routeKey(m.route), m.route);
      } else if (m.type === 'done' && m.seq === this.#dumpSeq) {
        this.#dumpSeq = undefined;
        if (m.interrupted) this.#d.log.warn('route dump interrupted by a change: some of our routes may be sent again');
        this.#resolveReady();
      } else if (m.type === 'error') {
        if (m.seq === this.#dumpSeq && m.errno !== 0) {
          this.#dumpSeq = undefined;
          this.#d.log.error({ err: errnoName(-m.errno) }, 'route dump refused: existing routes are not known');
          this.#resolveReady();
          continue;
        }
        const p = this.#pending.get(m.seq);
        if (!p) continue;
        this.#pending.delete(m.seq);
        this.#acked(p, m.errno);
      }
    }
  }

  #acked(p: { kind: 'add' | 'delete'; route: Route; tap: string }, errno: number): void {
    if (errno === 0 || (p.kind === 'delete' && (errno === ESRCH || errno === ENODEV)) || (p.kind === 'add' && errno === EEXIST)) {
      this.#d.log.debug({ tap: p.tap, route: describe(p.route) }, `route ${p.kind === 'add' ? 'installed' : 'removed'}`);
      return;
    }
    if (p.kind === 'add') this.#installed.delete(routeKey(p.route));
    const hint = errno === 1 ? ' (EPERM: [routing] manage needs CAP_NET_ADMIN)' : '';
    this.#d.log.error({ tap: p.tap, route: describe(p.route), err: errnoName(-errno) }, `route ${p.kind} refused by the kernel${hint}`);
  }
}

function describe(r: Route): string {
  return `${r.dst}/${r.dstLen}${r.gateway ? ` via ${r.gateway}` : ''} oif ${r.oif} table ${r.table}`;
}
