/**
 * IPv4 frames on a bound tap: UDP to port 67 → DHCPv4 decode → guard →
 * responder → reply frame → send. Replies are what an operator looks
 * for: logged at info per lease decision, repeats summarised (see
 * PathContext.logReply), every one at debug.
 */
import { dhcp4ReplyFrame } from '../protocols/dhcp4-frame.js';
import { respondDhcp4 } from '../protocols/dhcp4.js';
import { checkDhcp4Client } from '../protocols/guard.js';
import type { Tap } from '../runtime/tap-table.js';
import { decodeDhcp4, messageTypeName } from '../wire/dhcp4.js';
import { Dhcp4MessageType } from '../wire/dhcp4-types.js';
import { decodeUdpFrame } from '../wire/frame.js';
import { formatMac, formatMac48, numberToIpv4 } from '../wire/addr.js';
import type { PathContext, ReceivedFrame } from './context.js';

/**
 * 'dhcp-discover', 'dhcp-ack', ...: counter and log names of the message
 * types RFC 2132 §9.6 defines, 'bootp' for a request without option 53,
 * and 'dhcp-other' for any other value of the option: the guest picks the
 * octet, not the set of counter keys (src/runtime/stats.ts).
 */
const DHCP4_NAMES = new Map<number | undefined, string>([undefined, Dhcp4MessageType.Discover, Dhcp4MessageType.Offer, Dhcp4MessageType.Request,
  Dhcp4MessageType.Decline, Dhcp4MessageType.Ack, Dhcp4MessageType.Nak, Dhcp4MessageType.Release, Dhcp4MessageType.Inform,
].map((t) => [t, messageTypeName(t).toLowerCase().replace(/^dhcp-?/, 'dhcp-')]));
export const dhcpName = (t: number | undefined): string => DHCP4_NAMES.get(t) ?? 'dhcp-other';

/** 'dhcp-offer sent', ...: the log message of each reply kind, built once (not per reply). */
const SENT_MESSAGES = new Map<string, string>();
const sentMessage = (replyName: string): string => {
  let m = SENT_MESSAGES.get(replyName);
  if (m === undefined) SENT_MESSAGES.set(replyName, (m = `${replyName} sent`));
  return m;
};

const ipText = (ip: number | undefined): string | undefined => (ip === undefined ? undefined : numberToIpv4(ip));

export function handleIpv4(ctx: PathContext, tap: Tap, frame: ReceivedFrame): void {
  const { d } = ctx;
  const settings = d.settings();
  const udp = decodeUdpFrame(frame.data, { verifyChecksum: !frame.checksumNotReady });
  if (!udp.ok) return ctx.dropDecoded(tap, udp.error);
  const u = udp.value;
  if (u.dstPort !== 67) return ctx.drop(tap, 'unexpected-port');
  if (!settings.dhcp.enable) return ctx.drop(tap, 'dhcp-disabled');
  const dec = decodeDhcp4(u.payload);
  if (!dec.ok) return ctx.dropDecoded(tap, dec.error);
  const req = dec.value;
  const b = tap.binding;
  const guard = checkDhcp4Client(b, u.srcMac, req.htype, req.hlen, req.chaddr);
  if (guard) {
    // Addresses are formatted only for a line actually written (both are rate-limited).
    const chaddr = (): string => formatMac(req.chaddr, 0, req.chaddr.length);
    ctx.drop(tap, guard, () => `src ${formatMac48(u.srcMac)} chaddr ${chaddr()}`);
    ctx.rateLimited(`guard4:${b.tap}`, () =>
      d.log.warn({ tap: b.tap, mac: b.mac, srcMac: formatMac48(u.srcMac), chaddr: chaddr(), reason: guard }, 'DHCP request from a foreign MAC dropped'),
    );
    return;
  }
  const decision = respondDhcp4(req, b, settings.dhcp, u.srcMac);
  const reqName = dhcpName(decision.request);
  d.stats.request(b.tap, reqName, d.now());

  switch (decision.kind) {
    case 'drop':
      ctx.drop(tap, decision.reason);
      if (ctx.debug) d.log.debug({ tap: b.tap, mac: b.mac, request: reqName, reason: decision.reason }, 'DHCP request not answered');
      return;
    case 'release':
      d.log.info({ tap: b.tap, mac: b.mac, ip: ipText(decision.address) }, 'DHCP release from guest');
      return;
    case 'decline':
      d.log.warn({ tap: b.tap, mac: b.mac, ip: ipText(decision.address) }, 'DHCP decline: the guest found its address in use on the link');
      return;
    case 'reply': {
      const srcMac = ctx.serverMac(tap);
      if (!srcMac) return;
      const r = decision.reply;
      const replyName = dhcpName(r.type);
      if (!ctx.sendFrame(tap, dhcp4ReplyFrame(r, srcMac, ctx.scratch), replyName)) return;
      const ip = r.message.yiaddr !== 0 ? r.message.yiaddr : undefined;
      // The moment an orchestrator can call the guest booted (issue 16).
      if (d.events?.active && r.type === Dhcp4MessageType.Ack && ip !== undefined) d.events.emit('lease-acked', b.tap, b.mac, ipText(ip));
      ctx.logReply(
        b.tap,
        replyName,
        ip,
        () => ({ tap: b.tap, mac: b.mac, request: reqName, reply: replyName, ip: ipText(ip), dst: numberToIpv4(r.dstIp), xid: r.message.xid }),
        sentMessage(replyName),
      );
    }
  }
}
