/**
 * Interfaces that must never carry a binding (issue 11, defect 10): the
 * loopback, and every uplink — `[announce] uplink`/`uplink6` and any
 * binding's `UPLINK`/`UPLINK6`. A binding there, with MACSPOOF, would make
 * onlinkd a DHCP server and router for the hypervisor's upstream network.
 *
 * Three places ask, each for what it can know:
 * - admission (binding-add, and every binding file the directory loads):
 *   `refuseBinding` — the tap's name or live link is refused, or the
 *   binding names its own tap or the loopback as its uplink. A refused file
 *   is rejected like a parse error (the last good binding stays);
 *   binding-add answers result 1.
 * - the tap table, before a binding meets its interface (and so before a
 *   packet socket is opened on it): `refuse`, on the live link — the
 *   IFF_LOOPBACK flag whatever the name, and the uplink names as they are
 *   now (a reload or another binding's UPLINK can make a bound tap an
 *   uplink: it is then detached, and reported).
 * - the tap table again, once attached: `suspicion` — an interface whose
 *   link kind is not a tap's or a veth's (a physical NIC has none, a bridge
 *   or bond its own) is served, but logged and shown by `onlinkctl show`.
 *   (Host addresses on the interface would be another hint; the link monitor
 *   does not follow addresses, and the link kind is the robust test.)
 *
 * A future `[routing]` uplink list is one more line in `uplinkSource`.
 */
import type { Binding } from '../bindings/binding.js';
import type { BindingStore } from '../bindings/store.js';
import type { Settings } from '../config/config.js';
import type { LinkInfo, LinkPolicy } from './tap-table.js';

/** linux/if.h: the interface is a loopback. */
export const IFF_LOOPBACK = 0x8;
export const LOOPBACK_NAME = 'lo';

/**
 * IFLA_INFO_KIND of the interfaces a VM's frames arrive on: tun/tap devices
 * ("tun", kvm and Ganeti taps), veth pairs (containers, the tests),
 * macvtap (libvirt "direct").
 */
const TAP_LIKE_KINDS = new Set(['tun', 'veth', 'macvtap']);

/** Why a binding may not be admitted: the binding-file key concerned (none for the tap itself) and why. */
export interface InterfaceRefusal {
  key: string | undefined;
  detail: string;
}

export class InterfacePolicy implements LinkPolicy {
  /** Interface name → how many bindings name it as UPLINK or UPLINK6 (kept in step with the store). */
  readonly #named = new Map<string, number>();
  readonly #settings: () => Settings;
  readonly #links: () => { byName(name: string): LinkInfo | undefined } | undefined;

  constructor(store: BindingStore, settings: () => Settings, links: () => { byName(name: string): LinkInfo | undefined } | undefined) {
    this.#settings = settings;
    this.#links = links;
    for (const b of store.bindings()) this.#count(b, 1);
    store.on('set', (b, previous) => {
      if (previous) this.#count(previous, -1);
      this.#count(b, 1);
    });
    store.on('removed', (b) => this.#count(b, -1));
  }

  /** Where `name` is declared an uplink (for messages), or undefined when it is not one. */
  uplinkSource(name: string): string | undefined {
    const a = this.#settings().announce;
    if (name === a.uplink) return '[announce] uplink';
    if (name === a.uplink6) return '[announce] uplink6';
    if (this.#named.has(name)) return 'UPLINK/UPLINK6 of a binding';
    return undefined;
  }

  /** Why interface `name` may never be bound, by its name alone. */
  refuseName(name: string): string | undefined {
    if (name === LOOPBACK_NAME) return 'is the loopback interface';
    const source = this.uplinkSource(name);
    return source ? `is an uplink (${source}); onlinkd never answers guests on an uplink` : undefined;
  }

  /** Admission of a binding (binding-add, a binding file): undefined when it may be applied. */
  refuseBinding(b: Binding): InterfaceRefusal | undefined {
    const link = this.#links()?.byName(b.tap);
    const why = (link && this.refuse(link)) ?? this.refuseName(b.tap);
    if (why) return { key: undefined, detail: `interface ${b.tap} ${why}: it cannot be bound` };
    for (const [key, uplink] of [['UPLINK', b.uplink], ['UPLINK6', b.uplink6]] as const) {
      if (uplink === b.tap) return { key, detail: `${uplink} is the binding's own tap; an uplink is never a VM's tap` };
      if (uplink === LOOPBACK_NAME) return { key, detail: `${uplink} is the loopback interface, not an uplink` };
    }
    return undefined;
  }

  /** LinkPolicy: why no binding may be served on `link` (no packet socket is opened on it). */
  refuse(link: LinkInfo): string | undefined {
    if (link.flags !== undefined && (link.flags & IFF_LOOPBACK) !== 0) return 'is a loopback interface (IFF_LOOPBACK)';
    return this.refuseName(link.name);
  }

  /** LinkPolicy: why a served interface does not look like a VM's tap (reported, still served). */
  suspicion(link: LinkInfo): string | undefined {
    // Only when the link source reports kinds at all (the netlink monitor always carries the field).
    if (!('kind' in link)) return undefined;
    if (link.kind === undefined) return 'has no link kind (a physical NIC or other host device?), not a tap or veth';
    return TAP_LIKE_KINDS.has(link.kind) ? undefined : `is a ${link.kind} device, not a tap or veth`;
  }

  #count(b: Binding, delta: number): void {
    for (const name of new Set([b.uplink, b.uplink6])) {
      if (!name) continue;
      const n = (this.#named.get(name) ?? 0) + delta;
      if (n > 0) this.#named.set(name, n);
      else this.#named.delete(name);
    }
  }
}
