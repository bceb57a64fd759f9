/**
 * The join of bindings (by tap name) and live interfaces (by ifindex).
 * Frames arrive with an ifindex; this table says which binding, if any,
 * owns it right now. A binding whose tap does not exist yet waits for it;
 * a tap deleted and recreated under a new index, or renamed, is followed,
 * and an index the kernel reuses for another interface can never reach
 * the old binding (the mapping is dropped on RTM_DELLINK and rebuilt from
 * the name on every link event).
 *
 * Some interfaces are never served (LinkPolicy, src/runtime/interface-policy.ts):
 * the loopback and the uplinks. A binding whose interface is one of them is
 * not attached — so no packet socket is opened on it — and is reported once
 * (log, and `problem` for `onlinkctl show`); an attached interface that does
 * not look like a VM's tap is served and reported the same way.
 *
 * Every lookup is a map access (by ifindex, and by binding name through
 * #indexOfName): at start-up 4096 bindings are loaded one after another,
 * and a scan of all taps per binding made that quadratic.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Binding } from '../bindings/binding.js';
import type { BindingStore } from '../bindings/store.js';

export interface LinkInfo {
  ifindex: number;
  name: string;
  mac: string | undefined;
  up: boolean;
  running: boolean;
  /** ifi_flags (IFF_*), when the link source reports them (the netlink monitor does). */
  flags?: number;
  /** IFLA_INFO_KIND ('tun', 'veth', ...), when the link source reports kinds (see LinkPolicy.suspicion). */
  kind?: string | undefined;
}

/** A binding's interface refused (not attached) or suspicious (attached, reported). */
export interface InterfaceProblem {
  refused: boolean;
  message: string;
}

/** Which interfaces may carry a binding (src/runtime/interface-policy.ts). */
export interface LinkPolicy {
  /** Why no binding may be served on this interface (nothing is attached, no socket opened), or undefined. */
  refuse(link: LinkInfo): string | undefined;
  /** Why a served interface does not look like a VM's tap (reported, still served), or undefined. */
  suspicion(link: LinkInfo): string | undefined;
}

/** What the table needs from the link monitor (src/io/link-monitor.ts). */
export interface LinkSource {
  byName(name: string): LinkInfo | undefined;
  byIndex(ifindex: number): LinkInfo | undefined;
  links(): Iterable<LinkInfo>;
  on(event: 'link', cb: (link: LinkInfo) => void): unknown;
  on(event: 'unlink', cb: (link: LinkInfo) => void): unknown;
}

export interface Tap {
  binding: Binding;
  link: LinkInfo;
}

export interface TapTableEvents {
  /**
   * A binding and its interface met (binding added for an existing tap, or
   * the tap appeared); `previous` is the binding it replaced on the same tap
   * (a changed binding file), so the lifecycle can withdraw what it advertised.
   */
  attached: [tap: Tap, previous: Binding | undefined];
  /** They parted (binding removed or interface gone). */
  detached: [binding: Binding, ifindex: number];
  /** A bound tap changed state (e.g. went up): announcements hook here. */
  linkChanged: [tap: Tap, previous: LinkInfo | undefined];
}

export class TapTable extends EventEmitter<TapTableEvents> {
  readonly #byIndex = new Map<number, Tap>();
  readonly #store: BindingStore;
  readonly #links: LinkSource;
  readonly #log: Logger;
  readonly #linkState = new Map<number, LinkInfo>();
  /** Binding (tap) name → the ifindex it is attached under; kept in step with #byIndex. */
  readonly #indexOfName = new Map<string, number>();
  readonly #policy: LinkPolicy | undefined;
  /** Binding name → why its interface is refused or suspicious (logged when it changes; `problem`). */
  readonly #problems = new Map<string, InterfaceProblem>();

  constructor(store: BindingStore, links: LinkSource, log: Logger, policy?: LinkPolicy) {
    super();
    this.#store = store;
    this.#links = links;
    this.#log = log;
    this.#policy = policy;
    // A binding's UPLINK/UPLINK6 can make another bound tap an uplink, or stop doing so: look at those again.
    store.on('set', (b, previous) => {
      this.#syncBinding(b.tap);
      this.#recheckUplinks(b, previous);
    });
    store.on('removed', (b) => {
      this.#syncBinding(b.tap);
      this.#recheckUplinks(b, undefined);
    });
    links.on('link', (l) => this.#syncLink(l));
    links.on('unlink', (l) => this.#dropIndex(l.ifindex));
    for (const l of links.links()) this.#syncLink(l);
  }

  /** The bound tap behind a received frame's ifindex, if any. */
  lookup(ifindex: number): Tap | undefined {
    return this.#byIndex.get(ifindex);
  }

  /** The MAC onlinkd answers with on this tap: INDEV's (the bridge in bridged mode) or the tap's own. */
  serverMac(tap: Tap): string | undefined {
    if (tap.binding.indev === tap.link.name) return tap.link.mac;
    return this.#links.byName(tap.binding.indev)?.mac;
  }

  byName(name: string): Tap | undefined {
    const i = this.#indexOfName.get(name);
    return i === undefined ? undefined : this.#byIndex.get(i);
  }

  get attachedCount(): number {
    return this.#byIndex.size;
  }

  /** Why the binding's interface is refused or looks wrong (see LinkPolicy), for `onlinkctl show`. */
  problem(name: string): InterfaceProblem | undefined {
    return this.#problems.get(name);
  }

  /**
   * Applies the policy again to every binding (after a configuration reload:
   * `[announce] uplink` may now name a bound tap). Attached bindings that are
   * still allowed are left as they are (no new 'attached').
   */
  recheck(): void {
    for (const b of this.#store.bindings()) this.#recheck(b.tap);
  }

  #recheck(name: string): void {
    const binding = this.#store.get(name);
    const link = this.#links.byName(name);
    if (!binding || !link) return;
    if (this.#refused(binding, link)) return;
    if (this.#byIndex.get(link.ifindex)?.binding !== binding) this.#attach(binding, link);
  }

  #recheckUplinks(b: Binding, previous: Binding | undefined): void {
    if (!this.#policy) return;
    for (const name of new Set([b.uplink, b.uplink6, previous?.uplink, previous?.uplink6])) {
      if (name && name !== b.tap) this.#recheck(name);
    }
  }

  /** Whether the policy refuses `link` for `binding`: then it is detached (if it was) and reported once. */
  #refused(binding: Binding, link: LinkInfo): boolean {
    const why = this.#policy?.refuse(link);
    if (!why) {
      if (this.#problems.get(binding.tap)?.refused) this.#problems.delete(binding.tap);
      return false;
    }
    if (this.#byIndex.has(link.ifindex)) this.#dropIndex(link.ifindex);
    this.#report(binding.tap, { refused: true, message: `interface ${link.name} ${why}` }, { tap: binding.tap, ifindex: link.ifindex, reason: why }, 'binding refused: its interface must never be bound; no socket is opened on it');
    return true;
  }

  /** Records a problem and logs it when it is new for this binding (link events repeat; the journal need not). */
  #report(name: string, problem: InterfaceProblem, fields: Record<string, unknown>, msg: string): void {
    const known = this.#problems.get(name);
    if (known?.refused === problem.refused && known.message === problem.message) return;
    this.#problems.set(name, problem);
    this.#log.warn(fields, msg);
  }

  #syncBinding(name: string): void {
    const binding = this.#store.get(name);
    const link = this.#links.byName(name);
    // Drop the mapping that still points at this binding name under another index (or with no binding left).
    const idx = this.#indexOfName.get(name);
    if (idx !== undefined && (!link || link.ifindex !== idx || !binding)) this.#dropIndex(idx);
    if (!binding) {
      this.#problems.delete(name);
      return;
    }
    if (!link) {
      this.#log.info({ tap: name, mac: binding.mac }, 'binding waits for its tap to appear');
      return;
    }
    if (this.#refused(binding, link)) return;
    this.#attach(binding, link);
  }

  #syncLink(link: LinkInfo): void {
    const current = this.#byIndex.get(link.ifindex);
    if (current && current.binding.tap !== link.name) this.#dropIndex(link.ifindex); // renamed away
    const binding = this.#store.get(link.name);
    if (!binding) return;
    if (this.#refused(binding, link)) return;
    const previous = this.#linkState.get(link.ifindex);
    this.#linkState.set(link.ifindex, link);
    const existing = this.#byIndex.get(link.ifindex);
    if (existing && existing.binding === binding) {
      existing.link = link;
      this.emit('linkChanged', existing, previous);
      return;
    }
    this.#attach(binding, link);
  }

  #attach(binding: Binding, link: LinkInfo): void {
    const tap: Tap = { binding, link };
    // One index per name: a stale mapping of the name under another index goes first.
    const old = this.#indexOfName.get(binding.tap);
    if (old !== undefined && old !== link.ifindex) this.#dropIndex(old);
    const replaced = this.#byIndex.get(link.ifindex);
    if (replaced && replaced.binding.tap !== binding.tap) this.#dropIndex(link.ifindex);
    this.#byIndex.set(link.ifindex, tap);
    this.#indexOfName.set(binding.tap, link.ifindex);
    this.#linkState.set(link.ifindex, link);
    this.#log.info({ tap: binding.tap, ifindex: link.ifindex, mac: binding.mac, ip: binding.ip, up: link.up }, 'binding attached to tap');
    const odd = this.#policy?.suspicion(link);
    if (odd) {
      this.#report(binding.tap, { refused: false, message: `interface ${link.name} ${odd}` }, { tap: binding.tap, ifindex: link.ifindex, kind: link.kind }, 'binding attached to an interface that does not look like a VM tap');
    } else {
      this.#problems.delete(binding.tap);
    }
    this.emit('attached', tap, replaced?.binding.tap === binding.tap ? replaced.binding : undefined);
  }

  #dropIndex(ifindex: number): void {
    const t = this.#byIndex.get(ifindex);
    this.#linkState.delete(ifindex);
    if (!t) return;
    this.#byIndex.delete(ifindex);
    if (this.#indexOfName.get(t.binding.tap) === ifindex) this.#indexOfName.delete(t.binding.tap);
    this.#log.info({ tap: t.binding.tap, ifindex }, 'binding detached from tap');
    this.emit('detached', t.binding, ifindex);
  }
}
