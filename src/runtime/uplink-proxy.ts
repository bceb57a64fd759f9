/**
 * The uplink proxy's runtime (the answers are protocols/uplink-proxy.ts's,
 * the addresses proxied-addresses.ts's): a receiving packet socket on each
 * uplink that has something to answer for, with its own filter (ARP
 * requests and NSs only, io/bpf-uplink.ts) and every multicast frame of the
 * device (an NS goes to a VM address's solicited-node group, which no local
 * address joined).
 *
 * changed() is called by the tap lifecycle when a binding meets or leaves
 * its tap or a tap goes up or down, and by the daemon on reload; the index
 * is rebuilt once per event-loop turn however many calls came (a start with
 * thousands of bindings rebuilds it once). An uplink that appears, or is
 * re-created with a new ifindex, gets its socket at its link event. A VM
 * unbound here is dropped from the index at the next turn, so an ARP/NS for
 * it is not answered from then on (migration: the new host answers).
 *
 * Counters go under the uplink's name in statistic-get (replies
 * `proxy-arp`/`proxy-na`, drops `uplink-<reason>`); nothing from a frame
 * becomes a counter key.
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import type { SendResult } from '../io/packet-socket.js';
import { parseMac48 } from '../wire/addr.js';
import { decodeArpFrame } from '../wire/arp.js';
import { EtherType } from '../wire/ethernet.js';
import { decodeNdpFrame } from '../wire/frame6.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { arpReplyFrame } from '../protocols/arp.js';
import { ndpReplyFrame } from '../protocols/ndp-frame.js';
import { respondUplinkArp, respondUplinkNs, type ProxiedAddresses, type UplinkMac } from '../protocols/uplink-proxy.js';
import { proxyIndex, type ProxyIndex } from './proxied-addresses.js';
import type { Stats } from './stats.js';
import type { LinkInfo, Tap } from './tap-table.js';
import type { Binding } from '../bindings/binding.js';
import { OncePerInterval } from '../util/interval.js';

/** What the proxy needs of a packet socket (io/packet-socket.ts; a fake in tests). */
export interface UplinkSocket {
  onFrame(cb: (frame: { data: Uint8Array; vlanTci?: number; checksumNotReady?: boolean }) => void): void;
  sendBound(frame: Uint8Array): SendResult;
  close(): void;
}

export interface UplinkProxyDeps {
  bindings: () => Iterable<Binding>;
  tap: (name: string) => Tap | undefined;
  links: {
    byName(name: string): LinkInfo | undefined;
    on(event: 'link' | 'unlink', cb: (link: LinkInfo) => void): unknown;
  };
  settings: () => Pick<Settings, 'routing' | 'announce'>;
  /** Opens the uplink's socket (filter and multicast membership set); throws a system error. */
  open: (ifindex: number) => UplinkSocket;
  stats: Pick<Stats, 'reply' | 'drop'>;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Runs the rebuild after the current turn (setImmediate; tests pass their own). */
  defer?: (fn: () => void) => void;
}

interface Listening {
  ifindex: number;
  mac: UplinkMac;
  socket: UplinkSocket;
}

const EMPTY: ProxiedAddresses = { v4: new Map(), v6: new Map() };

export class UplinkProxy {
  readonly #d: UplinkProxyDeps;
  #index: ProxyIndex = { uplinks: new Map(), conflicts: [] };
  readonly #listening = new Map<string, Listening>();
  /** Uplinks whose socket failed to open, by name → ifindex tried (logged once per ifindex). */
  readonly #failed = new Map<string, number>();
  #reported = new Set<string>();
  /** Internal errors are logged at most once a minute per uplink (util/interval.ts). */
  readonly #errorLogged = new OncePerInterval();
  #scheduled = false;
  #closed = false;

  constructor(deps: UplinkProxyDeps) {
    this.#d = deps;
    const linkEvent = (l: LinkInfo): void => {
      if (this.#index.uplinks.has(l.name) || this.#listening.has(l.name)) this.changed();
    };
    deps.links.on('link', (l: LinkInfo) => {
      // A socket that failed to open on this interface is tried again at its next link event (up, carrier,
      // flags), not at every binding change: #listen skips an ifindex marked failed.
      if (this.#failed.get(l.name) === l.ifindex) this.#failed.delete(l.name);
      linkEvent(l);
    });
    deps.links.on('unlink', linkEvent);
  }

  /** Something the index depends on changed: rebuilt after this turn. */
  changed(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    (this.#d.defer ?? setImmediate)(() => {
      this.#scheduled = false;
      if (!this.#closed) this.#rebuild();
    });
  }

  /** Uplink → number of IPv4 and IPv6 addresses answered for, for status and tests. */
  answering(): Record<string, { v4: number; v6: number; listening: boolean }> {
    const out: Record<string, { v4: number; v6: number; listening: boolean }> = {};
    for (const [name, a] of this.#index.uplinks) out[name] = { v4: a.v4.size, v6: a.v6.size, listening: this.#listening.has(name) };
    return out;
  }

  close(): void {
    this.#closed = true;
    for (const l of this.#listening.values()) l.socket.close();
    this.#listening.clear();
  }

  #rebuild(): void {
    const candidates = [];
    for (const binding of this.#d.bindings()) {
      const tap = this.#d.tap(binding.tap);
      if (tap) candidates.push({ binding: tap.binding, up: tap.link.up });
    }
    this.#index = proxyIndex(candidates, this.#d.settings());
    this.#reportConflicts();
    for (const name of [...this.#listening.keys()]) if (!this.#index.uplinks.has(name)) this.#stop(name, 'nothing to answer for');
    for (const name of [...this.#failed.keys()]) if (!this.#index.uplinks.has(name)) this.#failed.delete(name); // wanted again later: tried (and logged) again
    for (const [name, a] of this.#index.uplinks) this.#listen(name, a);
  }

  #reportConflicts(): void {
    const now = new Set<string>();
    for (const c of this.#index.conflicts) {
      const key = `${c.address}|${c.tap}|${c.other}`;
      now.add(key);
      if (!this.#reported.has(key)) this.#d.log.warn({ address: c.address, tap: c.tap, other: c.other }, 'two routed taps claim one address: answered upstream for the first only');
    }
    this.#reported = now;
  }

  #listen(name: string, a: ProxiedAddresses): void {
    const link = this.#d.links.byName(name);
    const mac = link?.mac === undefined ? undefined : parseMac48(link.mac);
    const have = this.#listening.get(name);
    if (!link || mac === undefined) {
      if (have) this.#stop(name, 'uplink gone');
      if (!this.#failed.has(name)) this.#d.log.warn({ uplink: name, v4: a.v4.size, v6: a.v6.size }, 'uplink not present: ARP/NS for routed VMs are not answered on it until it appears');
      this.#failed.set(name, 0);
      return;
    }
    if (have && have.ifindex === link.ifindex && have.mac.value === mac) return;
    if (have) this.#stop(name, 'uplink re-created');
    if (this.#failed.get(name) === link.ifindex) return; // failed on this very interface: its next link event retries
    let socket: UplinkSocket;
    try {
      socket = this.#d.open(link.ifindex);
    } catch (e) {
      this.#failed.set(name, link.ifindex);
      this.#d.log.error({ uplink: name, ifindex: link.ifindex, err: (e as NodeJS.ErrnoException).code ?? String(e) }, 'cannot open a packet socket on the uplink: ARP/NS for routed VMs are not answered');
      return;
    }
    this.#failed.delete(name);
    const l: Listening = { ifindex: link.ifindex, mac: { value: mac, text: link.mac! }, socket };
    socket.onFrame((f) => this.#guarded(name, l, f.data, f.vlanTci));
    this.#listening.set(name, l);
    this.#d.log.info({ uplink: name, ifindex: link.ifindex, v4: a.v4.size, v6: a.v6.size }, 'answering ARP/NS on the uplink for routed VMs');
  }

  #stop(name: string, why: string): void {
    const l = this.#listening.get(name);
    if (!l) return;
    l.socket.close();
    this.#listening.delete(name);
    this.#d.log.info({ uplink: name, why }, 'no longer answering ARP/NS on the uplink');
  }

  /**
   * A frame from the uplink network: whatever happens in it is a counted
   * drop, never an exception into the receive loop (as the taps' path,
   * packet/path.ts); the error is logged at most once a minute.
   */
  #guarded(name: string, l: Listening, data: Uint8Array, vlanTci: number | undefined): void {
    try {
      this.#frame(name, l, data, vlanTci);
    } catch (e) {
      this.#d.stats.drop(name, 'uplink-internal-error');
      if (this.#errorLogged.take(name, Date.now(), 60_000)) {
        this.#d.log.error({ uplink: name, err: (e as Error).stack }, 'internal error answering on the uplink; frame dropped');
      }
    }
  }

  /** One frame from an uplink (a decoder's failure is a counted drop). */
  #frame(name: string, l: Listening, data: Uint8Array, vlanTci: number | undefined): void {
    if (this.#listening.get(name) !== l) return; // closed since it was read
    const { stats } = this.#d;
    if (vlanTci !== undefined) return stats.drop(name, 'uplink-vlan-tagged'); // another VLAN's: the uplink is its untagged device
    const proxied = this.#index.uplinks.get(name) ?? EMPTY;
    const ethertype = data.length >= 14 ? (data[12]! << 8) | data[13]! : -1;
    if (ethertype === EtherType.Arp) {
      const arp = decodeArpFrame(data);
      if (!arp.ok) return stats.drop(name, 'uplink-malformed-arp');
      const d = respondUplinkArp(arp.value, proxied, l.mac);
      if (d.kind === 'drop') return stats.drop(name, `uplink-${d.reason}`);
      const built = arpReplyFrame(d.reply, l.mac.value);
      this.#send(name, l, built, 'proxy-arp', d.tap);
    } else if (ethertype === EtherType.Ipv6) {
      const nd = decodeNdpFrame(data);
      if (!nd.ok) return stats.drop(name, 'uplink-malformed-ns');
      if (nd.value.message.type !== Icmpv6Type.NeighborSolicitation) return stats.drop(name, 'uplink-not-ns');
      const d = respondUplinkNs(nd.value.message, nd.value.frame, proxied, l.mac);
      if (d.kind === 'drop') return stats.drop(name, `uplink-${d.reason}`);
      this.#send(name, l, ndpReplyFrame(d.reply, l.mac.text), 'proxy-na', d.tap);
    } else stats.drop(name, 'uplink-other-ethertype');
  }

  #send(name: string, l: Listening, built: ReturnType<typeof arpReplyFrame>, kind: 'proxy-arp' | 'proxy-na', tap: string): void {
    if (!built.ok) return this.#d.stats.drop(name, 'uplink-encode-failed');
    const r = l.socket.sendBound(built.frame);
    if (!r.ok) return this.#d.stats.drop(name, 'uplink-send-failed');
    this.#d.stats.reply(name, kind);
    this.#d.log.debug({ uplink: name, tap, kind }, 'answered upstream for a routed VM');
  }
}
