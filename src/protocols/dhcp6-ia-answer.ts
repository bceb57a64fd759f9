/**
 * The IAs of a stateful DHCPv6 answer, computed from the binding alone (no
 * lease database; DESIGN.md "Second stage"): a tap has one VM, the VM has
 * one address (IP6, else EUI64) and at most one delegated prefix (PREFIX6).
 * The first IA_NA of a message gets the address, the first IA_PD the
 * prefix, whatever IAID the client picked (echoed, RFC 8415 §21.4); any
 * further IA gets nothing, so the same address is never bound to two IAs.
 * The client never chooses: an address or prefix it names that is not the
 * binding's is returned with lifetimes 0 (§18.3.2, §18.3.4, §18.3.5: "not
 * appropriate for the link"), beside the binding's.
 */
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/settings.js';
import { statusCodeOption, Dhcp6Status } from '../wire/dhcp6-options.js';
import { Dhcp6Option } from '../wire/dhcp6.js';
import {
  encodeIa, encodeIaAddress, encodeIaPrefix, iaAddresses, iaPrefixes, type IdentityAssociation, type RawOptions,
} from '../wire/dhcp6-ia.js';
import { ipv6PrefixMatch, parseIpv6Address, sameIpv6 } from '../wire/ipv6-address.js';
import { statefulAddress } from './ipv6-mode.js';

export type StatefulSettings = Pick<Settings['ipv6'], 'mode' | 'dhcpv6Renewal' | 'dhcpv6Rebinding' | 'dhcpv6PreferredLifetime' | 'dhcpv6ValidLifetime'>;

/** What a binding gives, as octets and encoded option values, derived once per binding and settings. */
export interface Assignment {
  readonly settings: StatefulSettings;
  /** The IA_NA address (16 octets) and its IA Address option value, when the binding has one. */
  readonly address: Uint8Array | undefined;
  readonly iaAddress: Uint8Array | undefined;
  /** PREFIX6's network (16 octets), length and IA Prefix option value, when set. */
  readonly prefix: Uint8Array | undefined;
  readonly prefixLength: number;
  readonly iaPrefix: Uint8Array | undefined;
}

const cache = new WeakMap<Binding, Assignment>();

/** The binding's assignment under `settings` (kept while both objects live: they are replaced, never mutated). */
export function assignment(binding: Binding, settings: StatefulSettings): Assignment {
  const hit = cache.get(binding);
  if (hit && hit.settings === settings) return hit;
  const text = statefulAddress(binding);
  const address = text === undefined ? undefined : parseIpv6Address(text);
  const prefix = binding.prefix6 ? parseIpv6Address(binding.prefix6.network) : undefined;
  const prefixLength = binding.prefix6?.prefixLength ?? 0;
  const preferredLifetime = settings.dhcpv6PreferredLifetime;
  const validLifetime = settings.dhcpv6ValidLifetime;
  const a: Assignment = {
    settings,
    address,
    iaAddress: address && encodeIaAddress({ address, preferredLifetime, validLifetime, options: [] }),
    prefix,
    prefixLength,
    iaPrefix: prefix && encodeIaPrefix({ preferredLifetime, validLifetime, prefixLength, prefix, options: [] }),
  };
  cache.set(binding, a);
  return a;
}

/** How an IA the binding cannot fill is answered (§18.3.1–§18.3.5). */
export type Shortfall = 'unavailable' | 'no-binding' | 'expire';

const status = (code: number, message: string): [number, Uint8Array] => [Dhcp6Option.StatusCode, statusCodeOption.encode({ code, message })];

const NO_ADDRS = status(Dhcp6Status.NoAddrsAvail, 'no address for this client');
const NO_PREFIX = status(Dhcp6Status.NoPrefixAvail, 'no prefix for this client');
const NO_BINDING = status(Dhcp6Status.NoBinding, 'no binding for this IA');

/** The client's own addresses/prefixes that are not the binding's, with lifetimes 0. */
function expired(ia: IdentityAssociation, a: Assignment): RawOptions {
  const out: RawOptions = [];
  if (ia.code === Dhcp6Option.IaPd) {
    for (const p of iaPrefixes(ia)) {
      const ours = a.prefix !== undefined && p.prefixLength === a.prefixLength && ipv6PrefixMatch(p.prefix, 0, a.prefix, 0, 128);
      if (!ours) out.push([Dhcp6Option.IaPrefix, encodeIaPrefix({ ...p, preferredLifetime: 0, validLifetime: 0, options: [] })]);
    }
  } else {
    for (const x of iaAddresses(ia)) {
      if (a.address === undefined || !sameIpv6(x.address, 0, a.address, 0)) {
        out.push([Dhcp6Option.IaAddr, encodeIaAddress({ ...x, preferredLifetime: 0, validLifetime: 0, options: [] })]);
      }
    }
  }
  return out;
}

/**
 * The IA options answering `ias`, in order. `filled` (IA_NA, IA_PD) says
 * whether the first of its kind was given something; `shortfall` how the
 * others are answered: 'unavailable' (Solicit, Request: NoAddrsAvail /
 * NoPrefixAvail inside the IA, §18.3.1, §18.3.2), 'no-binding' (Renew,
 * §18.3.4), 'expire' (Rebind, §18.3.5: the client's own with lifetimes 0,
 * NoBinding when it named none). `namedExpire`: also list the client's other
 * addresses at lifetime 0 beside the binding's (Request, Renew, Rebind).
 */
export function answerIas(ias: readonly IdentityAssociation[], a: Assignment, shortfall: Shortfall, namedExpire: boolean): RawOptions {
  const out: RawOptions = [];
  let naDone = false;
  let pdDone = false;
  const { dhcpv6Renewal: t1, dhcpv6Rebinding: t2 } = a.settings;
  for (const ia of ias) {
    if (ia.code === Dhcp6Option.IaNa && !naDone && a.iaAddress) {
      naDone = true;
      const options: RawOptions = [[Dhcp6Option.IaAddr, a.iaAddress], ...(namedExpire ? expired(ia, a) : [])];
      out.push([ia.code, encodeIa({ code: ia.code, iaid: ia.iaid, t1, t2, options })]);
      continue;
    }
    if (ia.code === Dhcp6Option.IaPd && !pdDone && a.iaPrefix) {
      pdDone = true;
      const options: RawOptions = [[Dhcp6Option.IaPrefix, a.iaPrefix], ...(namedExpire ? expired(ia, a) : [])];
      out.push([ia.code, encodeIa({ code: ia.code, iaid: ia.iaid, t1, t2, options })]);
      continue;
    }
    out.push([ia.code, encodeIa({ code: ia.code, iaid: ia.iaid, t1: 0, t2: 0, options: unfilled(ia, a, shortfall) })]);
  }
  return out;
}

function unfilled(ia: IdentityAssociation, a: Assignment, shortfall: Shortfall): RawOptions {
  if (shortfall === 'unavailable') return [ia.code === Dhcp6Option.IaPd ? NO_PREFIX : NO_ADDRS];
  if (shortfall === 'expire') {
    const gone = expired(ia, a);
    if (gone.length > 0) return gone;
  }
  return [NO_BINDING];
}

/** Whether the binding holds this IA (Release, Decline: §18.3.7, §18.3.8): the first IA_NA or IA_PD, when it has what that IA holds. */
export function heldIas(ias: readonly IdentityAssociation[], a: Assignment): RawOptions {
  const out: RawOptions = [];
  let naSeen = false;
  let pdSeen = false;
  for (const ia of ias) {
    const held = ia.code === Dhcp6Option.IaNa ? !naSeen && a.address !== undefined : ia.code === Dhcp6Option.IaPd ? !pdSeen && a.prefix !== undefined : false;
    if (ia.code === Dhcp6Option.IaNa) naSeen = true;
    if (ia.code === Dhcp6Option.IaPd) pdSeen = true;
    if (!held) out.push([ia.code, encodeIa({ code: ia.code, iaid: ia.iaid, t1: 0, t2: 0, options: [NO_BINDING] })]);
  }
  return out;
}
