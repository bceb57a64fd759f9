/**
 * What every protocol handler on the packet path shares: the tap table,
 * settings, the send function, counters, the logger and the clock, plus the
 * drop/sent bookkeeping so that every handler counts and logs alike.
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/config.js';
import { decodeDropReason, dropReason } from '../protocols/drop.js';
import type { FrameResult } from '../protocols/frame-result.js';
import type { Stats } from '../runtime/stats.js';
import type { EventBus } from '../runtime/events.js';
import type { Tap, TapTable } from '../runtime/tap-table.js';
import type { PrefixWithdrawals } from '../runtime/prefix-withdrawals.js';
import { OncePerInterval, withinInterval } from '../util/interval.js';
import { parseMac48, type Mac48 } from '../wire/addr.js';
import type { DecodeError } from '../wire/result.js';

/** What the packet socket delivers (see io/packet-socket.ts), reduced to what the path reads. */
export interface ReceivedFrame {
  ifindex: number;
  data: Uint8Array;
  /** The kernel has not filled in the L4 checksum yet (virtio offload, veth): skip verification. */
  checksumNotReady: boolean;
  /** The kernel stripped an 802.1Q tag: the guest sent on a VLAN we do not serve. */
  vlanTci?: number;
}

/** Sends `frame` at once; the frame may be a view of a reused buffer, valid only during the call. */
export type SendFn = (ifindex: number, frame: Uint8Array) => { ok: true } | { ok: false; error: string };

/** Where the path's frames go: the socket layer (io/tap-sockets.ts), called directly. */
export interface FrameOut {
  send: SendFn;
  /**
   * A tap exceeded its frame rate; nothing more of it can pass for `ms`:
   * its socket is not read meanwhile (the kernel drops the excess in the tap's own queue).
   */
  pause(ifindex: number, ms: number): void;
}

export interface PacketPathDeps {
  taps: TapTable;
  settings: () => Settings;
  out: FrameOut;
  stats: Stats;
  log: Logger;
  /** Epoch milliseconds (a number: read for every frame). */
  now: () => number;
  /** The server DUID for DHCPv6 (stable across restarts). */
  serverDuid: Uint8Array;
  /** Prefixes the taps' bindings left, deprecated in solicited RAs too (runtime/prefix-withdrawals.ts). */
  withdrawals?: Pick<PrefixWithdrawals, 'of'>;
  /** Metrics on ([metrics] listen): a reply's latency in seconds, from frame receipt to sent (metrics/registry.ts). */
  observeReply?: (seconds: number) => void;
  /** The event stream (`lease-acked`): emit() costs a size check when nobody subscribes (runtime/events.ts). */
  events?: Pick<EventBus, 'emit' | 'active'>;
}

/** How often a repeated reply (same tap, kind and address) is logged again at info. */
export const REPLY_LOG_INTERVAL_MS = 60_000;

interface ReplyLogState {
  at: number;
  address: number | undefined;
  /** Replies sent since the last info line and not logged at info. */
  repeated: number;
}

export class PathContext {
  /** Per-key time of the last rate-limited log line, so a flood cannot flood the journal. */
  readonly #lastLogged = new OncePerInterval();
  /** tap → reply kind → when it was last logged at info. */
  readonly #replyLog = new Map<string, Map<string, ReplyLogState>>();
  /**
   * Where replies are built: one send completes before the next reply is
   * built (the send system call copies the frame), so one buffer serves them all and the
   * packet path allocates no frame per reply. 64 KiB: the largest datagram.
   */
  readonly scratch = new Uint8Array(64 * 1024 + 64);

  /** performance.now() when the frame being handled was received: read only when metrics are on (PacketPath.handle). */
  receivedAt = 0;

  constructor(readonly d: PacketPathDeps) {}

  /** Whether debug lines are wanted: checked before building a per-packet log object. */
  get debug(): boolean {
    return this.d.log.isLevelEnabled('debug');
  }

  /**
   * Logs a reply a guest's configuration depends on (DHCPv4 OFFER/ACK/NAK):
   * at info the first time, when the address changes, and then at most every
   * REPLY_LOG_INTERVAL_MS per tap and kind with the count of replies in
   * between (`repeated`); every reply at debug. So an operator sees each
   * lease decision, and a guest asking thousands of times a second costs the
   * journal a line a minute.
   */
  logReply(tap: string, kind: string, address: number | undefined, fields: () => Record<string, unknown>, msg: string): void {
    const now = this.d.now();
    let kinds = this.#replyLog.get(tap);
    if (!kinds) {
      if (this.#replyLog.size > 10_000) this.#replyLog.clear(); // bounded under hostile churn
      this.#replyLog.set(tap, (kinds = new Map()));
    }
    const st = kinds.get(kind);
    if (!st || st.address !== address || !withinInterval(now, st.at, REPLY_LOG_INTERVAL_MS)) {
      const repeated = st?.repeated ?? 0;
      kinds.set(kind, { at: now, address, repeated: 0 });
      this.d.log.info(repeated > 0 ? { ...fields(), repeated } : fields(), msg);
      return;
    }
    st.repeated++;
    if (this.debug) this.d.log.debug(fields(), msg);
  }

  /** Forgets a tap's reply-log state (the tap went away). */
  forgetTap(tap: string): void {
    this.#replyLog.delete(tap);
  }

  /** `detail` is a function when it formats addresses: only called when the line is written. */
  drop(tap: Tap, reason: string, detail?: string | (() => string)): void {
    this.d.stats.drop(tap.binding.tap, reason);
    if (detail !== undefined) {
      this.rateLimited(`${tap.binding.tap}:${reason}`, () =>
        this.d.log.debug({ tap: tap.binding.tap, reason, detail: typeof detail === 'string' ? detail : detail() }, 'frame dropped'),
      );
    }
  }

  /** A frame a decoder refused: counted as 'decode-<layer>-<reason>', the error logged at debug (rate-limited). */
  dropDecoded(tap: Tap, error: DecodeError): void {
    const reason = decodeDropReason(error);
    this.d.stats.drop(tap.binding.tap, reason);
    this.rateLimited(`${tap.binding.tap}:${reason}`, () => this.d.log.debug({ tap: tap.binding.tap, reason, detail: error.toString() }, 'frame dropped'));
  }

  /** The MAC onlinkd answers with on this tap, or undefined (counted, logged) when INDEV has none. */
  serverMac(tap: Tap): string | undefined {
    const mac = this.d.taps.serverMac(tap);
    if (!mac) {
      this.drop(tap, 'indev-missing');
      this.rateLimited(`indev:${tap.binding.tap}`, () =>
        this.d.log.warn({ tap: tap.binding.tap, indev: tap.binding.indev }, 'cannot answer: INDEV interface has no MAC (missing?)'),
      );
    }
    return mac;
  }

  /** INDEV MACs as 48-bit numbers, converted once per MAC text (the tap table hands out the same text). */
  readonly #mac48 = new Map<string, Mac48>();

  /** A server MAC (from `serverMac`) as a 48-bit number, for responders that compare it with decoded ones. */
  mac48(mac: string): Mac48 {
    let v = this.#mac48.get(mac);
    if (v === undefined) {
      if (this.#mac48.size > 10_000) this.#mac48.clear(); // bounded under link churn
      this.#mac48.set(mac, (v = parseMac48(mac) ?? -1));
    }
    return v;
  }

  /** Sends a built frame on the tap; counts the reply or the failure. Returns whether it went out. */
  sendFrame(tap: Tap, built: FrameResult, replyName: string): boolean {
    const b = tap.binding;
    if (!built.ok) {
      this.drop(tap, 'reply-encode-failed');
      // Counted every time, logged at most every interval per tap: a binding that cannot be encoded
      // fails every reply, and a guest asking thousands of times a second must not flood the journal.
      this.rateLimited(`encode:${b.tap}`, () => this.d.log.error({ tap: b.tap, reply: replyName, err: built.error }, 'reply could not be encoded'));
      return false;
    }
    const sent = this.d.out.send(tap.link.ifindex, built.frame);
    if (!sent.ok) {
      this.drop(tap, dropReason('send', sent.error));
      this.rateLimited(`send:${b.tap}`, () => this.d.log.warn({ tap: b.tap, err: sent.error, reply: replyName }, 'sending reply failed'));
      return false;
    }
    this.d.stats.reply(b.tap, replyName);
    if (this.d.observeReply) this.d.observeReply((performance.now() - this.receivedAt) / 1000);
    return true;
  }

  rateLimited(key: string, fn: () => void, intervalMs = 10_000): void {
    if (this.#lastLogged.take(key, this.d.now(), intervalMs)) fn();
  }
}
