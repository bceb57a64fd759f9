/**
 * The opt-in ARP responder (pure): on a bound tap, answer the VM's ARP
 * requests for its gateway and for link-local service addresses
 * (169.254.0.0/16) with the INDEV MAC.
 *
 * Why: Windows treats 169.254.0.0/16 as on-link whatever its address
 * (RFC 3927 §2.6.2: "the sender MUST ARP for the destination address"),
 * so it ARPs for 169.254.169.254 instead of sending to its gateway, and on
 * a routed tap nobody answers; metadata discovery then stalls (anchors
 * §2.9, shared/seeds: the Tungsten Fabric link-local services research,
 * whose proposed fix is this responder). The gateway is answered too, so
 * a host need not rely on proxy_arp on every tap. With proxy_arp on, the
 * kernel answers as well, with the same MAC when INDEV is the tap.
 *
 * Caution, bridged mode: when INDEV is a bridge that a real gateway (or a
 * real 169.254 service) sits on, answering would steal its traffic; leave
 * the responder off there. PRIVATE (isolated) networks have no gateway:
 * the gateway is never answered on them.
 *
 * Answered: an ARP request (op 1) whose SHA is the Ethernet source and
 * the binding's MAC (any MAC with MACSPOOF), sent to the broadcast address
 * or to the INDEV MAC, from a real sender address, for TPA = GATEWAY or
 * an address in [arp] addresses (169.254.255.255, the link-local
 * broadcast, excepted). The reply is unicast to the requester: Ethernet
 * dst = the frame's source, op 2, SHA = INDEV MAC, SPA = the TPA asked
 * for, THA/TPA = the requester's SHA/SPA (RFC 826).
 *
 * Never answered (the reason is the drop counter):
 *  - 'responder-disabled': [arp] responder = no and no per-tap ARP_RESPONDER;
 *  - 'not-request': replies (op 2) and any other operation;
 *  - 'foreign-source-mac': Ethernet source is not the binding's MAC (guard.ts);
 *  - 'sender-mac-mismatch': SHA ≠ Ethernet source (with or without MACSPOOF);
 *  - 'bad-sender-mac': SHA is a group (multicast/broadcast) address;
 *  - 'other-destination': unicast to some other MAC (Linux ignores those too,
 *    `arp_rcv` drops PACKET_OTHERHOST; the guest falls back to broadcast);
 *  - 'probe': SPA 0.0.0.0, an RFC 5227 address probe: answering for the
 *    gateway would be harmless, but for its own candidate address it would
 *    make the guest give the address up; never answer probes at all;
 *  - 'announcement': SPA = TPA, a gratuitous ARP / RFC 5227 announcement
 *    (the guest telling the link about itself, not asking);
 *  - 'bad-sender-ip': SPA multicast (224.0.0.0/4) or 255.255.255.255;
 *  - 'own-address': TPA = the binding's IP (the guest's duplicate check);
 *  - 'not-ours': any other TPA (including the gateway on a PRIVATE network
 *    and link-local addresses outside [arp] addresses).
 * The SPA is not required to be the binding's IP: the guest may hold
 * secondary addresses, and the responder learns nothing from a request
 * (so the LVS ARP problem of shared/seeds, a router caching a wrong
 * sender, cannot arise here).
 */
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/config.js';
import { BROADCAST_MAC48, ipv4ToNumber, isGroupMac48, prefixMask, type Mac48, type MacInput } from '../wire/addr.js';
import { ArpOp, buildArpFrame, type ArpPacket } from '../wire/arp.js';
import { bindingAddresses } from './binding-addresses.js';
import { drop, type Drop } from './drop.js';
import { encodeFailure, type FrameResult } from './frame-result.js';
import { checkSourceMac } from './guard.js';

export type { FrameResult } from './frame-result.js';

export type ArpSettings = Settings['arp'];

/** Which of the addresses onlinkd answers for a request was for. */
export type ArpTarget = 'gateway' | 'link-local';

/** An ARP reply and where it goes; the frame's source is the INDEV MAC (`arpReplyFrame`). */
export interface ArpReply {
  /** Ethernet destination: the requester. */
  dstMac: MacInput;
  arp: ArpPacket;
}

export type ArpDecision =
  | { kind: 'reply'; reply: ArpReply; target: ArpTarget }
  /** Nothing to send; `reason` names the drop counter. */
  | Drop;

/** The Ethernet addresses of the frame the request came in (an `ArpFrame` is one). */
export interface ArpFrameMeta {
  srcMac: Mac48;
  dstMac: Mac48;
}

/**
 * Whether the responder runs for this binding: its ARP_RESPONDER when set
 * (a typed binding key, bindings/schema.ts), else [arp] responder.
 */
export function arpResponderEnabled(binding: Pick<Binding, 'arpResponder'>, settings: Pick<ArpSettings, 'responder'>): boolean {
  return binding.arpResponder ?? settings.responder;
}

const LINK_LOCAL_NET = 0xa9fe0000; // 169.254.0.0/16
const LINK_LOCAL_BROADCAST = 0xa9feffff; // 169.254.255.255, RFC 3927 §2.6.2 exception

/**
 * Whether `address` is one of the [arp] addresses: entries are addresses
 * or prefixes (host bits ignored) inside 169.254.0.0/16. Entries that do
 * not parse, or lie outside 169.254.0.0/16, match nothing (config.ts
 * refuses them anyway); 169.254.255.255 never matches.
 */
export function isLinkLocalServiceAddress(address: number | string, entries: readonly string[]): boolean {
  // Decoded addresses are uint32 already; text (config checks, tests) goes through the lenient parser.
  const a = typeof address === 'number' ? address : (ipv4ToNumber(address) ?? -1);
  if (a < 0 || (a & 0xffff0000) >>> 0 !== LINK_LOCAL_NET || a === LINK_LOCAL_BROADCAST) return false;
  const prefixes = serviceAddressPrefixes(entries);
  for (let i = 0; i < prefixes.length; i += 2) if (((a & prefixes[i + 1]!) >>> 0) === prefixes[i]) return true;
  return false;
}

/** Parsed [arp] addresses, kept per (immutable, replaced on reload) settings array: not parsed per frame. */
const parsedEntries = new WeakMap<readonly string[], number[]>();

/** [network & mask, mask] pairs, flattened, of the entries that are usable (see isLinkLocalServiceAddress). */
function serviceAddressPrefixes(entries: readonly string[]): number[] {
  let out = parsedEntries.get(entries);
  if (out) return out;
  out = [];
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const net = ipv4ToNumber(slash < 0 ? entry : entry.slice(0, slash));
    const len = slash < 0 ? 32 : Number(entry.slice(slash + 1));
    if (net === undefined || !Number.isInteger(len) || len < 16 || len > 32) continue;
    if ((net & 0xffff0000) >>> 0 !== LINK_LOCAL_NET) continue;
    const mask = prefixMask(len);
    out.push((net & mask) >>> 0, mask);
  }
  parsedEntries.set(entries, out);
  return out;
}

function isMulticastOrBroadcastIpv4(a: number): boolean {
  return (a >>> 28) === 0xe || a === 0xffffffff;
}

/**
 * Addresses are compared as decoded (MACs 48-bit numbers, IPv4 uint32)
 * against the binding's cached numeric forms; `serverMac` is the INDEV MAC
 * as a number too.
 */
export function respondArp(arp: ArpPacket, meta: ArpFrameMeta, binding: Binding, settings: ArpSettings, serverMac: Mac48): ArpDecision {
  if (!arpResponderEnabled(binding, settings)) return drop('responder-disabled');
  if (arp.op !== ArpOp.Request) return drop('not-request');
  const guard = checkSourceMac(binding, meta.srcMac);
  if (guard) return drop(guard);
  if (arp.senderMac !== meta.srcMac) return drop('sender-mac-mismatch');
  if (isGroupMac48(arp.senderMac)) return drop('bad-sender-mac');
  if (meta.dstMac !== BROADCAST_MAC48 && meta.dstMac !== serverMac) return drop('other-destination');
  if (arp.senderIp === 0) return drop('probe');
  if (arp.senderIp === arp.targetIp) return drop('announcement');
  if (isMulticastOrBroadcastIpv4(arp.senderIp)) return drop('bad-sender-ip');
  const own = bindingAddresses(binding);
  if (own.ip !== undefined && arp.targetIp === own.ip) return drop('own-address');

  let target: ArpTarget;
  if (!binding.private && own.gateway !== undefined && arp.targetIp === own.gateway) target = 'gateway';
  else if (isLinkLocalServiceAddress(arp.targetIp, settings.addresses)) target = 'link-local';
  else return drop('not-ours');

  return {
    kind: 'reply',
    target,
    reply: {
      dstMac: meta.srcMac,
      arp: {
        op: ArpOp.Reply,
        senderMac: serverMac,
        senderIp: arp.targetIp,
        targetMac: arp.senderMac,
        targetIp: arp.senderIp,
      },
    },
  };
}

/** The reply as an Ethernet frame from `srcMac` (the INDEV MAC), 60 octets. */
export function arpReplyFrame(reply: ArpReply, srcMac: MacInput): FrameResult {
  try {
    return { ok: true, frame: buildArpFrame({ ...reply.arp, srcMac, dstMac: reply.dstMac }) };
  } catch (e) {
    return encodeFailure(e);
  }
}
