/**
 * One kind of kernel state onlinkd keeps per tap over NETLINK_ROUTE (host
 * routes, policy rules), on a socket of its own: what each tap wants, what
 * is installed, the requests in flight. The kind's codec says how to build
 * and read its messages; this says when to send them.
 *
 * Restart without flap: at open, one dump reads the objects that carry
 * onlinkd's protocol number (RTPROT_ONLINKD) into `installed`. A tap that
 * wants an object gets it only when it is missing there; one that is
 * already there is not sent again (a replace would still be a change
 * notified to every listener). sweep(), when start-up is over, removes the
 * installed objects of onlinkd's protocol that no tap wants (a VM unbound
 * while onlinkd was down). Objects of any other protocol are never read into
 * `installed`, so never touched. On stop, objects stay: guests keep working
 * while onlinkd restarts.
 *
 * Requests are asynchronous: each asks for an ACK, whose error is logged
 * naming the object; an add of one already there and a delete of one
 * already gone are not errors.
 */
import { constants } from 'node:os';
import type { Logger } from 'pino';
import { errnoName } from '../io/native.js';
import type { NetlinkTransport } from '../io/netlink-socket.js';
import { NLM_F_MULTI, type FramingMessage } from '../io/rtnl-message.js';
import { RTPROT_ONLINKD } from '../io/route-netlink.js';

const { EPERM, EEXIST, ENOBUFS } = constants.errno;

/** A dumped object with its protocol, or the framing around it. */
export type ObjectMessage<T> = { type: 'object'; seq: number; flags: number; protocol: number; object: T } | FramingMessage;

export interface ObjectCodec<T> {
  /** What log lines call one ('route', 'rule'). */
  readonly noun: string;
  key(t: T): string;
  describe(t: T): string;
  request(kind: 'add' | 'delete', t: T, seq: number): Buffer;
  dump(seq: number): Buffer;
  parse(buf: Uint8Array): Array<ObjectMessage<T>>;
  /** A delete's errnos that mean "already gone" (the kernel removed it with its device, or never had it). */
  readonly gone: readonly number[];
}

export interface NetlinkObjectsDeps<T> {
  transport: NetlinkTransport;
  codec: ObjectCodec<T>;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

interface Pending<T> {
  kind: 'add' | 'delete';
  object: T;
  tap: string;
}

export class NetlinkObjects<T> {
  readonly #d: NetlinkObjectsDeps<T>;
  /** Objects of our protocol in the kernel, as far as we know (dump, then our own requests). */
  readonly #installed = new Map<string, T>();
  /** What each tap wants now, by tap name. */
  readonly #wanted = new Map<string, T[]>();
  /** Requests waiting for their ACK: what to say if it is an error. */
  readonly #pending = new Map<number, Pending<T>>();
  #seq = Math.floor(Math.random() * 0x7fffffff);
  #dumpSeq: number | undefined;
  #resolveReady!: () => void;
  #closed = false;
  /** Resolves once the dump of existing objects is read (or on close). */
  readonly ready: Promise<void>;

  constructor(deps: NetlinkObjectsDeps<T>) {
    this.#d = deps;
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve));
    deps.transport.start((err, data) => this.#receive(err, data));
    this.#dumpSeq = this.#nextSeq();
    const r = deps.transport.send(deps.codec.dump(this.#dumpSeq));
    if (r < 0) throw new Error(`${deps.codec.noun} dump request failed: ${errnoName(r)}`);
  }

  /**
   * `tap` wants `now`: what it wanted before and no longer does is deleted;
   * with `install`, what is missing is added (without, it is only recorded:
   * routes wait for their tap to come up).
   */
  want(tap: string, now: T[], install: boolean): void {
    const key = this.#d.codec.key;
    const keep = new Set(now.map(key));
    for (const old of this.#wanted.get(tap) ?? []) if (!keep.has(key(old))) this.#request('delete', old, tap);
    if (install) for (const t of now) if (!this.#installed.has(key(t))) this.#request('add', t, tap);
    if (now.length > 0) this.#wanted.set(tap, now);
    else this.#wanted.delete(tap);
  }

  /** The kernel removed the tap's objects by itself (routes of a device that went down): they are added again by want(). */
  lost(tap: string): void {
    for (const t of this.#wanted.get(tap) ?? []) this.#installed.delete(this.#d.codec.key(t));
  }

  /** The tap wants nothing any more: its objects go. */
  drop(tap: string): void {
    for (const t of this.#wanted.get(tap) ?? []) this.#request('delete', t, tap);
    this.#wanted.delete(tap);
  }

  /** Start-up is over: our objects that no tap wants are stale. */
  sweep(): void {
    const wanted = new Set([...this.#wanted.values()].flat().map(this.#d.codec.key));
    for (const [key, t] of this.#installed) if (!wanted.has(key)) this.#request('delete', t, undefined);
  }

  /** Requests sent whose ACK has not come yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Every object kept now, by tap. */
  managed(): Array<{ tap: string; object: T }> {
    return [...this.#wanted].flatMap(([tap, objects]) => objects.map((object) => ({ tap, object })));
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

  #request(kind: 'add' | 'delete', object: T, tap: string | undefined): void {
    if (this.#closed) return;
    const { codec, log } = this.#d;
    const seq = this.#nextSeq();
    const r = this.#d.transport.send(codec.request(kind, object, seq));
    if (kind === 'add') this.#installed.set(codec.key(object), object);
    else this.#installed.delete(codec.key(object));
    if (r < 0) {
      log.error({ tap, [codec.noun]: codec.describe(object), err: errnoName(r) }, `cannot send the ${codec.noun} ${kind} request`);
      return;
    }
    this.#pending.set(seq, { kind, object, tap: tap ?? '' });
  }

  #dumpOver(): void {
    this.#dumpSeq = undefined;
    this.#resolveReady();
  }

  #receive(err: number, data: Buffer | null): void {
    if (this.#closed) return;
    const { codec, log } = this.#d;
    if (err !== 0 || data === null) {
      // ENOBUFS: replies were dropped. Their requests are done or failed; which, no one can say now.
      log.warn({ err: errnoName(err), unanswered: this.#pending.size }, err === ENOBUFS ? `${codec.noun} replies lost (receive buffer full): refusals among them are not logged` : `${codec.noun} netlink socket error`);
      if (err === ENOBUFS) this.#pending.clear();
      // The dump is incomplete: an object missing from it is sent again, which the kernel takes as no change (routes: replace; rules: EEXIST).
      if (this.#dumpSeq !== undefined) this.#dumpOver();
      return;
    }
    for (const m of codec.parse(data)) {
      if (m.type === 'object') {
        if (m.seq === this.#dumpSeq && m.flags & NLM_F_MULTI && m.protocol === RTPROT_ONLINKD) this.#installed.set(codec.key(m.object), m.object);
      } else if (m.type === 'done' && m.seq === this.#dumpSeq) {
        if (m.interrupted) log.warn(`${codec.noun} dump interrupted by a change: some of ours may be sent again`);
        this.#dumpOver();
      } else if (m.type === 'error') {
        if (m.seq === this.#dumpSeq && m.errno !== 0) {
          log.error({ err: errnoName(-m.errno) }, `${codec.noun} dump refused: existing ${codec.noun}s are not known`);
          this.#dumpOver();
          continue;
        }
        const p = this.#pending.get(m.seq);
        if (!p) continue;
        this.#pending.delete(m.seq);
        this.#acked(p, m.errno);
      }
    }
  }

  #acked(p: Pending<T>, errno: number): void {
    const { codec, log } = this.#d;
    if (errno === 0 || (p.kind === 'delete' && codec.gone.includes(errno)) || (p.kind === 'add' && errno === EEXIST)) {
      log.debug({ tap: p.tap, [codec.noun]: codec.describe(p.object) }, `${codec.noun} ${p.kind === 'add' ? 'installed' : 'removed'}`);
      return;
    }
    if (p.kind === 'add') this.#installed.delete(codec.key(p.object));
    const hint = errno === EPERM ? ' (EPERM: [routing] manage needs CAP_NET_ADMIN)' : '';
    log.error({ tap: p.tap, [codec.noun]: codec.describe(p.object), err: errnoName(-errno) }, `${codec.noun} ${p.kind} refused by the kernel${hint}`);
  }
}
