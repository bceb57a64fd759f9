/**
 * IPv6 frames on a bound tap: Router Solicitation → RA, Neighbor
 * Solicitation → NA, DHCPv6 (UDP 547) → Reply to an Information-Request,
 * and in mode `dhcpv6` Advertise/Reply to the stateful messages.
 * Every reply goes out at once on the same tap (a tap has one host, so the
 * whole-host RA delay of RFC 4861 §6.2.6 does not apply); RS answers are
 * rate-limited per tap. These replies are frequent (neighbour cache
 * refreshes), so they are logged at debug; drops are counted per reason.
 */
import { respondDhcp6 } from '../protocols/dhcp6.js';
import { dhcp6ReplyFrame } from '../protocols/dhcp6-frame.js';
import { dropReason } from '../protocols/drop.js';
import { checkSourceMac } from '../protocols/guard.js';
import { respondNeighborSolicitation } from '../protocols/neighbor.js';
import { ndpReplyFrame } from '../protocols/ndp-frame.js';
import { respondRouterSolicitation } from '../protocols/router-advert.js';
import type { Tap } from '../runtime/tap-table.js';
import { TokenBuckets } from '../util/token-bucket.js';
import { decodeDhcp6, Dhcp6MessageType } from '../wire/dhcp6.js';
import { decodeIcmpv6, Icmpv6Type } from '../wire/icmpv6.js';
import { decodeIpv6Frame, type Ipv6Frame } from '../wire/frame6.js';
import { Ipv6NextHeader } from '../wire/ipv6.js';
import { decodeNdp } from '../wire/ndp.js';
import { decodeUdp } from '../wire/udp.js';
import { formatMac48 } from '../wire/addr.js';
import { formatIpv6Address, ipv6Text } from '../wire/ipv6-address.js';
import type { PathContext, ReceivedFrame } from './context.js';

/**
 * Counter names of DHCPv6 message types (RFC 8415 §7.3: 'dhcp6-solicit',
 * 'dhcp6-information-request', ...); any other value is 'dhcp6-other': the
 * guest picks the octet, not the set of counter keys (src/runtime/stats.ts).
 */
const DHCP6_NAMES = new Map<number, string>(
  Object.entries(Dhcp6MessageType).map(([name, t]) => [t, `dhcp6-${name.replace(/[A-Z]/g, (c, i: number) => `${i ? '-' : ''}${c.toLowerCase()}`)}`]),
);
export const dhcp6Name = (t: number): string => DHCP6_NAMES.get(t) ?? 'dhcp6-other';

export class Ipv6Handler {
  readonly #rsBuckets = new TokenBuckets();

  constructor(readonly ctx: PathContext) {}

  /** Forget per-tap state of a tap that went away. */
  forget(tap: string): void {
    this.#rsBuckets.forget(tap);
  }

  handle(tap: Tap, frame: ReceivedFrame): void {
    const ctx = this.ctx;
    const f = decodeIpv6Frame(frame.data);
    if (!f.ok) return ctx.dropDecoded(tap, f.error);
    const guard = checkSourceMac(tap.binding, f.value.srcMac);
    if (guard) {
      const srcMac = f.value.srcMac;
      return ctx.drop(tap, guard, () => `src ${formatMac48(srcMac)}`);
    }
    if (f.value.protocol === Ipv6NextHeader.Icmpv6) return this.#icmpv6(tap, f.value, frame);
    if (f.value.protocol === Ipv6NextHeader.Udp) return this.#udp(tap, f.value, frame);
    ctx.drop(tap, 'unexpected-ipv6-protocol');
  }

  #icmpv6(tap: Tap, ip: Ipv6Frame, frame: ReceivedFrame): void {
    const { ctx } = this;
    const { d } = ctx;
    const icmp = decodeIcmpv6(ip.payload, ip, { verifyChecksum: !frame.checksumNotReady });
    if (!icmp.ok) return ctx.dropDecoded(tap, icmp.error);
    const nd = decodeNdp(icmp.value);
    if (!nd.ok) return ctx.dropDecoded(tap, nd.error);
    const m = nd.value;
    const b = tap.binding;
    const settings = d.settings().ipv6;
    if (m.type === Icmpv6Type.RouterSolicitation) {
      d.stats.request(b.tap, 'rs', d.now());
      const serverMac = ctx.serverMac(tap);
      if (!serverMac) return;
      // Usually none: then the RA built once per binding is sent (router-advert.ts).
      const deprecated = d.withdrawals?.of(b.tap, b.subnet6);
      const decision = respondRouterSolicitation(m, ip, b, settings, serverMac, deprecated && { deprecated });
      if (decision.kind === 'drop') return ctx.drop(tap, decision.reason);
      if (!this.#rsAllowed(b.tap, settings)) return ctx.drop(tap, 'rs-rate-limited');
      if (ctx.sendFrame(tap, ndpReplyFrame(decision.reply, serverMac, ctx.scratch), 'ra') && ctx.debug) {
        // Addresses are octets (views into the frame): formatted only for a line that is written.
        d.log.debug({ tap: b.tap, mac: b.mac, src: `${formatIpv6Address(ip.src)}%${b.tap}`, dst: ipv6Text(decision.reply.dstIp) }, 'router advertisement sent');
      }
      return;
    }
    if (m.type === Icmpv6Type.NeighborSolicitation) {
      d.stats.request(b.tap, 'ns', d.now());
      const serverMac = ctx.serverMac(tap);
      if (!serverMac) return;
      const decision = respondNeighborSolicitation(m, ip, b, settings, serverMac, d.settings().nd.addresses);
      if (decision.kind === 'drop') return ctx.drop(tap, dropReason('ns', decision.reason));
      if (ctx.sendFrame(tap, ndpReplyFrame(decision.reply, serverMac, ctx.scratch), 'na') && ctx.debug) {
        d.log.debug({ tap: b.tap, mac: b.mac, target: formatIpv6Address(m.target), kind: decision.target }, 'neighbor advertisement sent');
      }
      return;
    }
    ctx.drop(tap, 'unexpected-icmpv6-type');
  }

  #udp(tap: Tap, ip: Ipv6Frame, frame: ReceivedFrame): void {
    const { ctx } = this;
    const { d } = ctx;
    const udp = decodeUdp(ip.payload, ip, { verifyChecksum: !frame.checksumNotReady });
    if (!udp.ok) return ctx.dropDecoded(tap, udp.error);
    if (udp.value.dstPort !== 547) return ctx.drop(tap, 'unexpected-port');
    const msg = decodeDhcp6(udp.value.payload);
    if (!msg.ok) return ctx.dropDecoded(tap, msg.error);
    const b = tap.binding;
    d.stats.request(b.tap, dhcp6Name(msg.value.msgType), d.now());
    const serverMac = ctx.serverMac(tap);
    if (!serverMac) return;
    const decision = respondDhcp6(msg.value, { srcMac: ip.srcMac, src: ip.src, dst: ip.dst, hopLimit: ip.hopLimit, srcPort: udp.value.srcPort }, b, d.settings().ipv6, d.serverDuid, serverMac);
    if (decision.kind === 'drop') return ctx.drop(tap, dropReason('dhcp6', decision.reason));
    if (decision.declined) {
      // RFC 8415 §18.3.8: the guest found its address in use by another node; the binding says it is its, so an operator must look.
      d.log.warn({ tap: b.tap, mac: b.mac, addresses: decision.declined.map((a) => formatIpv6Address(a)) }, 'DHCPv6 Decline: the guest says its address is in use by another node');
    }
    if (ctx.sendFrame(tap, dhcp6ReplyFrame(decision.reply, serverMac, ctx.scratch), 'dhcp6-reply') && ctx.debug) {
      d.log.debug({ tap: b.tap, mac: b.mac, dst: `${ipv6Text(decision.reply.dstIp)}%${b.tap}`, xid: msg.value.transactionId }, 'DHCPv6 reply sent');
    }
  }

  /** Solicited RAs per tap ([ipv6] rs_burst, then rs_rate per second; by default 3, as a booting guest sends, then 1/s). */
  #rsAllowed(tap: string, settings: { rsBurst: number; rsRate: number }): boolean {
    return this.#rsBuckets.take(tap, settings.rsBurst, settings.rsRate, this.ctx.d.now());
  }
}
