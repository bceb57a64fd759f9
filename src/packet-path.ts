/**
 * One path for every received frame:
 *   decode (pure) → bound tap by ifindex → guard → responder (pure) →
 *   encode (pure) → send on the same ifindex.
 * Nothing here throws past `handle`: a decoder error or an unexpected
 * exception is counted and, rate-limited, logged; the daemon keeps serving.
 */
import type { Logger } from 'pino';
import type { Settings } from './config.js';
import { dhcp4ReplyFrame } from './protocols/dhcp4-frame.js';
import { respondDhcp4 } from './protocols/dhcp4.js';
import { checkDhcp4Client } from './protocols/guard.js';
import type { Stats } from './stats.js';
import type { Tap, TapTable } from './taps.js';
import { decodeDhcp4 } from './wire/dhcp4.js';
import { Dhcp4MessageType } from './wire/dhcp4-types.js';
import { EtherType } from './wire/ethernet.js';
import { decodeUdpFrame } from './wire/frame.js';

/** What the packet socket delivers (see io/packet-socket.ts), reduced to what this path reads. */
export interface ReceivedFrame {
  ifindex: number;
  data: Uint8Array;
  /** The kernel has not filled in the checksum yet (virtio offload): skip verification. */
  checksumNotReady: boolean;
  /** The kernel stripped an 802.1Q tag: the guest sent on a VLAN we do not serve. */
  vlanTci?: number;
}

export type SendFn = (ifindex: number, frame: Uint8Array) => { ok: true } | { ok: false; error: string };

export interface PacketPathDeps {
  taps: TapTable;
  settings: () => Settings;
  send: SendFn;
  stats: Stats;
  log: Logger;
  now: () => Date;
}

const DHCP4_NAMES: Record<number, string> = {
  [Dhcp4MessageType.Discover]: 'dhcp-discover',
  [Dhcp4MessageType.Offer]: 'dhcp-offer',
  [Dhcp4MessageType.Request]: 'dhcp-request',
  [Dhcp4MessageType.Decline]: 'dhcp-decline',
  [Dhcp4MessageType.Ack]: 'dhcp-ack',
  [Dhcp4MessageType.Nak]: 'dhcp-nak',
  [Dhcp4MessageType.Release]: 'dhcp-release',
  [Dhcp4MessageType.Inform]: 'dhcp-inform',
};

const dhcpName = (t: number | undefined): string => (t !== undefined && DHCP4_NAMES[t]) || 'dhcp-unknown';

export class PacketPath {
  readonly #d: PacketPathDeps;
  /** Per-reason time of the last debug line, so a flood cannot flood the journal. */
  readonly #lastLogged = new Map<string, number>();

  constructor(deps: PacketPathDeps) {
    this.#d = deps;
  }

  handle(frame: ReceivedFrame): void {
    const { stats } = this.#d;
    stats.global.frames++;
    try {
      const tap = this.#d.taps.lookup(frame.ifindex);
      if (!tap) {
        // Frames from taps without a binding (or the uplink) are never answered.
        stats.drop(undefined, 'unbound-interface');
        return;
      }
      this.#dispatch(tap, frame);
    } catch (e) {
      stats.drop(undefined, 'internal-error');
      this.#rateLimited('internal-error', () => this.#d.log.error({ err: (e as Error).stack, ifindex: frame.ifindex }, 'internal error on the packet path; frame dropped'));
    }
  }

  #dispatch(tap: Tap, frame: ReceivedFrame): void {
    if (frame.vlanTci !== undefined) {
      // A reply would go out untagged, on the wrong VLAN: a tap carries one untagged link.
      this.#drop(tap, 'vlan-tagged');
      return;
    }
    const d = frame.data;
    const ethertype = d.length >= 14 ? (d[12]! << 8) | d[13]! : -1;
    switch (ethertype) {
      case EtherType.Ipv4:
        this.#ipv4(tap, frame);
        return;
      default:
        this.#drop(tap, 'unhandled-ethertype');
    }
  }

  #ipv4(tap: Tap, frame: ReceivedFrame): void {
    const settings = this.#d.settings();
    const udp = decodeUdpFrame(frame.data, { verifyChecksum: !frame.checksumNotReady });
    if (!udp.ok) {
      this.#drop(tap, `decode-${udp.error.layer}-${udp.error.reason}`, udp.error.toString());
      return;
    }
    const u = udp.value;
    if (u.dstPort !== 67) {
      this.#drop(tap, 'unexpected-port');
      return;
    }
    if (!settings.dhcp.enable) {
      this.#drop(tap, 'dhcp-disabled');
      return;
    }
    const dec = decodeDhcp4(u.payload);
    if (!dec.ok) {
      this.#drop(tap, `decode-dhcp4-${dec.error.reason}`, dec.error.toString());
      return;
    }
    const req = dec.value;
    const b = tap.binding;
    const guard = checkDhcp4Client(b, u.srcMac, req.htype, req.hlen, req.chaddr);
    if (guard) {
      this.#drop(tap, guard, `src ${u.srcMac} chaddr ${req.chaddr}`);
      this.#rateLimited(`guard:${tap.binding.tap}`, () =>
        this.#d.log.warn({ tap: b.tap, mac: b.mac, srcMac: u.srcMac, chaddr: req.chaddr, reason: guard }, 'DHCP request from a foreign MAC dropped'),
      );
      return;
    }
    const decision = respondDhcp4(req, b, settings.dhcp, u.srcMac);
    const reqName = dhcpName(decision.request);
    this.#d.stats.request(b.tap, reqName, this.#d.now());

    switch (decision.kind) {
      case 'drop':
        this.#drop(tap, decision.reason);
        this.#d.log.debug({ tap: b.tap, mac: b.mac, request: reqName, reason: decision.reason }, 'DHCP request not answered');
        return;
      case 'release':
        this.#d.log.info({ tap: b.tap, mac: b.mac, ip: decision.address }, 'DHCP release from guest');
        return;
      case 'decline':
        this.#d.log.warn({ tap: b.tap, mac: b.mac, ip: decision.address }, 'DHCP decline: the guest found its address in use on the link');
        return;
      case 'reply': {
        const srcMac = this.#d.taps.serverMac(tap);
        if (!srcMac) {
          this.#drop(tap, 'indev-missing');
          this.#rateLimited(`indev:${b.tap}`, () => this.#d.log.warn({ tap: b.tap, indev: b.indev }, 'cannot answer: INDEV interface has no MAC (missing?)'));
          return;
        }
        const built = dhcp4ReplyFrame(decision.reply, srcMac);
        if (!built.ok) {
          this.#drop(tap, 'reply-too-large');
          this.#d.log.error({ tap: b.tap, err: built.error }, 'DHCP reply could not be encoded');
          return;
        }
        const replyName = dhcpName(decision.reply.type);
        const sent = this.#d.send(tap.link.ifindex, built.frame);
        if (!sent.ok) {
          this.#drop(tap, `send-${sent.error}`);
          this.#d.log.warn({ tap: b.tap, err: sent.error, reply: replyName }, 'sending reply failed');
          return;
        }
        this.#d.stats.reply(b.tap, replyName);
        this.#d.log.info(
          {
            tap: b.tap,
            mac: b.mac,
            request: reqName,
            reply: replyName,
            ip: decision.reply.message.yiaddr !== '0.0.0.0' ? decision.reply.message.yiaddr : undefined,
            dst: decision.reply.dstIp,
            xid: decision.reply.message.xid,
          },
          `${replyName} sent`,
        );
      }
    }
  }

  #drop(tap: Tap, reason: string, detail?: string): void {
    this.#d.stats.drop(tap.binding.tap, reason);
    if (detail !== undefined) {
      this.#rateLimited(`${tap.binding.tap}:${reason}`, () =>
        this.#d.log.debug({ tap: tap.binding.tap, reason, detail }, 'frame dropped'),
      );
    }
  }

  #rateLimited(key: string, fn: () => void, intervalMs = 10_000): void {
    const now = this.#d.now().getTime();
    const last = this.#lastLogged.get(key);
    if (last !== undefined && now - last < intervalMs) return;
    if (this.#lastLogged.size > 10_000) this.#lastLogged.clear(); // bounded under hostile churn
    this.#lastLogged.set(key, now);
    fn();
  }
}
