/**
 * Turns a DHCPv6 Reply decision into the Ethernet/IPv6/UDP frame to send
 * (pure): Ethernet from the INDEV MAC, UDP checksum computed (mandatory
 * over IPv6, RFC 8200 §8.1; clients that never offloaded anything drop a
 * bad one).
 */
import { encodeFailure, type FrameResult } from './frame-result.js';
import type { Dhcp6Reply } from './dhcp6.js';
import { buildDhcp6Frame } from '../wire/frame6.js';

/** With `scratch`, the frame is a view of it, valid until its next use (see dhcp4ReplyFrame). */
export function dhcp6ReplyFrame(reply: Dhcp6Reply, srcMac: string, scratch?: Uint8Array): FrameResult {
  try {
    return {
      ok: true,
      frame: buildDhcp6Frame(
        {
          srcMac,
          dstMac: reply.dstMac,
          src: reply.srcIp,
          dst: reply.dstIp,
          hopLimit: reply.hopLimit,
          srcPort: reply.srcPort,
          dstPort: reply.dstPort,
        },
        reply.message,
        scratch,
      ),
    };
  } catch (e) {
    return encodeFailure(e);
  }
}
