/**
 * The namespace's interface table, kept current from NETLINK_ROUTE.
 *
 * A socket bound to RTMGRP_LINK gets a message for every link change; one
 * RTM_GETLINK dump fills the table at start. Multicast is lossy: when the
 * socket's buffer overruns, recvmsg reports ENOBUFS (netlink(7)) and some
 * events are gone, so we dump again and reconcile: links not seen in the
 * new dump were deleted meanwhile. Interface indexes are per namespace.
 *
 * Sequence seen for a tap: add -> NEWLINK down; up -> up, not running (no
 * carrier until a reader attaches); attach -> running; delete -> NEWLINK
 * down, then DELLINK.
 *
 * Events: 'link' (link, previous | undefined) when a link appears or one of
 * its fields changes; 'unlink' (link) when it is removed; 'resync' (reason)
 * when a re-dump starts; 'ready' after the first dump.
 */
import { EventEmitter } from 'node:events';
import { RTMGRP_LINK, errnoName } from './native.js';
import { NLM_F_DUMP_INTR, NLM_F_MULTI, buildGetLinkDump, parseNetlink, type Link } from './netlink.js';
import { openRouteNetlinkSocket, type NetlinkTransport } from './netlink-socket.js';
import { safeTimeout } from '../util/timer.js';

export type { Link } from './netlink.js';
export type { NetlinkTransport } from './netlink-socket.js';

export interface LinkMonitorOptions {
  /** Socket receive buffer (default 4 MiB): bursts of tap creation on a busy
   * host overrun the default one, which costs a full re-dump each time. */
  receiveBufferBytes?: number;
}

/** A NETLINK_ROUTE socket bound to the link multicast group. */
export function openRouteLinkSocket(options: LinkMonitorOptions = {}): NetlinkTransport {
  return openRouteNetlinkSocket(RTMGRP_LINK, options.receiveBufferBytes ?? 4 * 1024 * 1024);
}

/** Retry delay when a dump request could not be sent. */
const RETRY_MS = 200;

export class LinkMonitor extends EventEmitter {
  private readonly table = new Map<number, Link>();
  private readonly names = new Map<string, number>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  /** Sequence number of the dump in flight, if any. */
  private dumpSeq: number | undefined;
  /** Links seen (or deleted) since the current dump started. */
  private seen = new Set<number>();
  private dumpInconsistent = false;
  private resyncPending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private isReady = false;
  /** Resolves after the first complete dump (or on close). */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;

  constructor(private readonly transport: NetlinkTransport) {
    super();
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    transport.start((err, data) => this.receive(err, data));
    this.requestDump();
  }

  /** Opens a monitor on the calling process's network namespace. */
  static open(options: LinkMonitorOptions = {}): LinkMonitor {
    return new LinkMonitor(openRouteLinkSocket(options));
  }

  byIndex(ifindex: number): Link | undefined {
    return this.table.get(ifindex);
  }

  byName(name: string): Link | undefined {
    const i = this.names.get(name);
    return i === undefined ? undefined : this.table.get(i);
  }

  links(): Link[] {
    return [...this.table.values()];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.transport.close();
    this.resolveReady();
  }

  /** Starts a dump now, or after the one in flight (the kernel allows one at a time: EBUSY). */
  private requestDump(): void {
    if (this.closed) return;
    if (this.dumpSeq !== undefined) {
      this.resyncPending = true;
      return;
    }
    this.seq = (this.seq + 1) >>> 0 || 1; // seq 0 is what multicast uses
    const r = this.transport.send(buildGetLinkDump(this.seq));
    if (r < 0) {
      this.emit('resync', `dump request failed: ${errnoName(r)}`);
      this.retryTimer = safeTimeout('link-monitor dump retry', () => this.requestDump(), RETRY_MS);
      return;
    }
    this.dumpSeq = this.seq;
    this.seen = new Set();
    this.dumpInconsistent = false;
  }

  private receive(err: number, data: Buffer | null): void {
    if (this.closed) return;
    if (err !== 0 || data === null) {
      // ENOBUFS: multicast events were lost. Any other error: same remedy.
      this.emit('resync', errnoName(err));
      this.requestDump();
      return;
    }
    for (const m of parseNetlink(data)) {
      const ours = this.dumpSeq !== undefined && m.seq === this.dumpSeq;
      // Dump replies carry NLM_F_MULTI; notifications do not (and since Linux
      // 6.3 may carry the seq of whoever made the change, so seq alone cannot
      // tell them apart). Replies to an abandoned dump are ignored.
      if ('flags' in m && m.flags & NLM_F_MULTI && !ours) continue;
      switch (m.type) {
        case 'newlink':
          if (ours && m.flags & NLM_F_DUMP_INTR) this.dumpInconsistent = true;
          this.seen.add(m.link.ifindex);
          this.upsert(m.link);
          break;
        case 'dellink':
          this.seen.delete(m.link.ifindex);
          this.remove(m.link.ifindex);
          break;
        case 'done':
          if (ours) this.finishDump(m.flags & NLM_F_DUMP_INTR ? true : this.dumpInconsistent);
          break;
        case 'error':
          // EBUSY: another dump was running on this socket; anything else: retry too.
          if (ours && m.errno !== 0) {
            this.dumpSeq = undefined;
            this.emit('resync', `dump refused: ${errnoName(m.errno)}`);
            this.retryTimer = safeTimeout('link-monitor dump retry', () => this.requestDump(), RETRY_MS);
          }
          break;
        default:
          break; // NOOP, other types, invalid: nothing to apply
      }
    }
  }

  private finishDump(inconsistent: boolean): void {
    this.dumpSeq = undefined;
    for (const ifindex of [...this.table.keys()]) {
      if (!this.seen.has(ifindex)) this.remove(ifindex);
    }
    if (!this.isReady) {
      this.isReady = true;
      this.resolveReady();
      this.emit('ready');
    }
    if (inconsistent || this.resyncPending) {
      this.resyncPending = false;
      if (inconsistent) this.emit('resync', 'dump interrupted');
      this.requestDump();
    }
  }

  private upsert(link: Link): void {
    const prev = this.table.get(link.ifindex);
    if (prev && sameLink(prev, link)) return;
    if (prev && prev.name !== link.name && this.names.get(prev.name) === link.ifindex) this.names.delete(prev.name);
    this.table.set(link.ifindex, link);
    this.names.set(link.name, link.ifindex);
    this.emit('link', link, prev);
  }

  private remove(ifindex: number): void {
    const prev = this.table.get(ifindex);
    if (!prev) return;
    this.table.delete(ifindex);
    if (this.names.get(prev.name) === ifindex) this.names.delete(prev.name);
    this.emit('unlink', prev);
  }
}

function sameLink(a: Link, b: Link): boolean {
  return (
    a.name === b.name && a.mac === b.mac && a.flags === b.flags && a.operstate === b.operstate &&
    a.mtu === b.mtu && a.kind === b.kind
  );
}
