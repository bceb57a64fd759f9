/**
 * Announcing a VM's addresses upstream (pure): when its tap comes up or it
 * arrives by live migration, the hypervisor tells the uplink's neighbours
 * that the VM's IPv4 and IPv6 addresses are now reached through *this*
 * host's uplink MAC — the job `arpsend -U -i IP -c1 UPLINK` and
 * `ndsend EUI64 UPLINK6` did in snf-network's hooks. Nothing here touches
 * a socket or a clock: `announcementPlan` says what to send when, the
 * frame builders say which bytes; the daemon owns the timers and looks up
 * the uplink's MAC when a frame is due.
 *
 * IPv4, gratuitous ARP (RFC 5227 §3 "ARP Announcement"): an ARP *request*
 * with SPA = TPA = the VM's address, SHA = the uplink MAC, THA zeros,
 * broadcast, from the uplink MAC. Some devices only honour the *reply*
 * form (anchors §2.13; kube-vip#80), which RFC 5944 §4.6 also allows: an
 * ARP reply with THA = SHA and TPA = SPA, still broadcast ([announce]
 * arp_form = reply). arpsend -U differed (THA ff:ff:ff:ff:ff:ff and, unless
 * told otherwise, the interface's own IPv4 as TPA): a TPA ≠ SPA is exactly
 * the malformed announcement mirage-tcpip#225 describes, so neither quirk
 * is copied.
 *
 * IPv6, unsolicited Neighbor Advertisement (RFC 4861 §7.2.6): to ff02::1
 * (33:33:00:00:00:01), hop limit 255, R=0 S=0 O=1 (O=1 so that a neighbour
 * which still holds the old host's MAC replaces it, §7.2.5; odhcpd#25:
 * routers ignore an NA without O), target = the VM's address, target
 * link-layer option = the uplink MAC — ndsend's packet. RFC 4861 §7.2.6
 * allows up to MAX_NEIGHBOR_ADVERTISEMENT = 3 of them, RetransTimer (1 s)
 * apart: the [announce] defaults.
 *
 * The NA's IPv6 source. RFC 4861 §4.4 wants "an address assigned to the
 * interface from which the advertisement is sent"; ndsend used a raw
 * socket without bind, so the kernel picked the uplink's link-local. The
 * default here is the same: the uplink's link-local, computed as fe80:: +
 * EUI-64 of the uplink MAC — which is the address the uplink really has
 * unless its addr_gen_mode is stable-privacy/random (then pass the real one
 * in `UnaOptions.linkLocal`; receivers do not check it is assigned, but
 * logs and filters may). The alternative, `source: 'target'`, sends from
 * the VM's address itself, as a node announcing its own address does
 * (Linux case "B" in ndppd#64); it is what some providers expect: link-local
 * ND sources are filtered there (ndppd#71), and OpenBSD drops an NA whose
 * source is not an on-link neighbour ("nd6_na_input: ND packet from
 * non-neighbor", ndppd#41). It is strictly outside §4.4 (the address is
 * not the uplink's), so it is an opt-in.
 *
 * What a receiver does with either is its business: an unsolicited NA only
 * updates an *existing* neighbour entry (§7.2.5; Linux `accept_untracked_na`),
 * and a GARP creates one only with `arp_accept` (anchors §3d.4).
 */
import type { Binding } from '../bindings/binding.js';
import type { ArpForm, Settings } from '../config/config.js';
import { BROADCAST_MAC } from '../wire/addr.js';
import { ArpOp, ZERO_MAC, buildArpFrame } from '../wire/arp.js';
import { buildNdpFrame } from '../wire/frame6.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { ALL_NODES_MAC, IPV6_ALL_NODES, IPV6_ND_HOP_LIMIT, linkLocalFromMac } from '../wire/ipv6.js';
import { encodeFailure, type FrameResult } from './frame-result.js';

export type { FrameResult } from './frame-result.js';
export type { ArpForm } from '../config/config.js';

export type AnnounceSettings = Settings['announce'];

/** 'garp': gratuitous ARP for the IPv4 address; 'una': unsolicited NA for the IPv6 address. */
export type AnnouncementKind = 'garp' | 'una';

export interface Announcement {
  /** Milliseconds after the start of the announcement (tap up, binding added, `announce`). */
  at: number;
  kind: AnnouncementKind;
  /** Uplink interface to send on. */
  interface: string;
  /** The address announced: the binding's IP for 'garp', its EUI64 for 'una'. */
  address: string;
}

/**
 * What to send when, for one binding: `arpCount` GARPs `arpInterval`
 * seconds apart on the IPv4 uplink, and `naCount` unsolicited NAs
 * `naInterval` seconds apart on the IPv6 uplink, both series starting at
 * 0, ordered by time (GARP first at equal times). The binding's
 * UPLINK/UPLINK6 override [announce] uplink/uplink6. A family whose
 * uplink is unset, or whose address (IP, EUI64) the binding lacks, gets
 * nothing; so does a count of 0.
 *
 * The plan embeds the addresses: when the binding changes or goes away,
 * the caller cancels the timers of the old plan (and plans anew).
 */
export function announcementPlan(
  binding: Pick<Binding, 'ip' | 'eui64' | 'uplink' | 'uplink6'>,
  settings: AnnounceSettings,
): Announcement[] {
  const out: Announcement[] = [];
  const { uplink4, uplink6 } = bindingUplinks(binding, settings);
  if (uplink4 !== undefined && binding.ip !== undefined) {
    for (let i = 0; i < settings.arpCount; i++) {
      out.push({ at: i * settings.arpInterval * 1000, kind: 'garp', interface: uplink4, address: binding.ip });
    }
  }
  if (uplink6 !== undefined && binding.eui64 !== undefined) {
    for (let i = 0; i < settings.naCount; i++) {
      out.push({ at: i * settings.naInterval * 1000, kind: 'una', interface: uplink6, address: binding.eui64 });
    }
  }
  // Array.prototype.sort is stable: GARPs were pushed first, so they stay first at equal times.
  return out.sort((a, b) => a.at - b.at);
}

/**
 * The uplinks of a binding, per family: its UPLINK/UPLINK6, else [announce]
 * uplink/uplink6; undefined when neither is set. Where its addresses are
 * announced, and where the uplink proxy answers for them (proxied-addresses.ts).
 */
export function bindingUplinks(
  binding: Pick<Binding, 'uplink' | 'uplink6'>,
  settings: Pick<AnnounceSettings, 'uplink' | 'uplink6'>,
): { uplink4: string | undefined; uplink6: string | undefined } {
  return { uplink4: nonEmpty(binding.uplink) ?? nonEmpty(settings.uplink), uplink6: nonEmpty(binding.uplink6) ?? nonEmpty(settings.uplink6) };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function built(fn: () => Uint8Array): FrameResult {
  try {
    return { ok: true, frame: fn() };
  } catch (e) {
    return encodeFailure(e);
  }
}

/**
 * Gratuitous ARP for `address` from the uplink whose MAC is `uplinkMac`,
 * broadcast. 'request' (default, RFC 5227 §3): op 1, THA zeros; 'reply'
 * (RFC 5944 §4.6): op 2, THA = uplink MAC. SPA = TPA = `address` in both.
 * 60 octets (zero padding).
 */
export function garpFrame(address: string, uplinkMac: string, form: ArpForm = 'request'): FrameResult {
  return built(() =>
    buildArpFrame({
      dstMac: BROADCAST_MAC,
      srcMac: uplinkMac,
      op: form === 'reply' ? ArpOp.Reply : ArpOp.Request,
      senderMac: uplinkMac,
      senderIp: address,
      targetMac: form === 'reply' ? uplinkMac : ZERO_MAC,
      targetIp: address,
    }),
  );
}

/** Which IPv6 source the unsolicited NA carries (see the file comment). */
export type UnaSource = 'link-local' | 'target';

export interface UnaOptions {
  /** Default 'link-local'. */
  source?: UnaSource;
  /**
   * The uplink's actual link-local address, when the caller knows it
   * (netlink); default fe80:: + EUI-64 of the uplink MAC. Only used with
   * source 'link-local'.
   */
  linkLocal?: string;
}

/** The IPv6 source `unaFrame` uses for these arguments. */
export function unaSourceAddress(target: string, uplinkMac: string, options: UnaOptions = {}): string {
  if (options.source === 'target') return target;
  return options.linkLocal ?? linkLocalFromMac(uplinkMac);
}

/**
 * Unsolicited Neighbor Advertisement for `target` from the uplink whose MAC
 * is `uplinkMac`: to ff02::1 at 33:33:00:00:00:01, hop limit 255, R=0 S=0
 * O=1, target link-layer address option = `uplinkMac`, ICMPv6 checksum
 * computed. 86 octets.
 */
export function unaFrame(target: string, uplinkMac: string, options: UnaOptions = {}): FrameResult {
  return built(() =>
    buildNdpFrame(
      {
        srcMac: uplinkMac,
        dstMac: ALL_NODES_MAC,
        src: unaSourceAddress(target, uplinkMac, options),
        dst: IPV6_ALL_NODES,
        hopLimit: IPV6_ND_HOP_LIMIT,
      },
      {
        type: Icmpv6Type.NeighborAdvertisement,
        code: 0,
        router: false,
        solicited: false,
        override: true,
        target,
        options: [{ kind: 'target-link-layer', mac: uplinkMac }],
      },
    ),
  );
}

/** The frame for one planned announcement, with `arp_form` from the settings. */
export function announcementFrame(a: Announcement, uplinkMac: string, settings: Pick<AnnounceSettings, 'arpForm'>, una?: UnaOptions): FrameResult {
  return a.kind === 'garp' ? garpFrame(a.address, uplinkMac, settings.arpForm) : unaFrame(a.address, uplinkMac, una);
}
