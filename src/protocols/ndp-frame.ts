/**
 * The reply shape shared by the ND responders (router-advert.ts,
 * neighbor.ts) and the pure function that turns one into the Ethernet
 * frame to send: Ethernet from the INDEV MAC, IPv6 with hop limit 255
 * (RFC 4861 §6.1.2, §7.1.2: receivers drop ND with any other), ICMPv6
 * checksum computed.
 */
import { encodeFailure, type FrameResult } from './frame-result.js';
import type { Drop } from './drop.js';
import { buildNdpFrame } from '../wire/frame6.js';
import { IPV6_ND_HOP_LIMIT } from '../wire/ipv6.js';
import type { NdpMessageSpec } from '../wire/ndp.js';
import type { Ipv6Input } from '../wire/ipv6-address.js';
import type { MacInput } from '../wire/addr.js';

export type { FrameResult } from './frame-result.js';

/** An ND message and where it goes. */
export interface NdpReply {
  message: NdpMessageSpec;
  /** Octets (derived once, or views into the request being answered: build the frame before the next one) or text. */
  srcIp: Ipv6Input;
  dstIp: Ipv6Input;
  /** The requester's decoded MAC (a 48-bit number), or a group MAC's text. */
  dstMac: MacInput;
}

export type NdpDecision =
  | { kind: 'reply'; reply: NdpReply }
  /** Nothing to send; `reason` names the drop counter. */
  | Drop;

/** With `scratch`, the frame is a view of it, valid until its next use (see dhcp4ReplyFrame). */
export function ndpReplyFrame(reply: NdpReply, srcMac: string, scratch?: Uint8Array): FrameResult {
  try {
    return {
      ok: true,
      frame: buildNdpFrame(
        { srcMac, dstMac: reply.dstMac, src: reply.srcIp, dst: reply.dstIp, hopLimit: IPV6_ND_HOP_LIMIT },
        reply.message,
        scratch,
      ),
    };
  } catch (e) {
    return encodeFailure(e);
  }
}
