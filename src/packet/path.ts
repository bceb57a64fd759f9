/**
 * One path for every received frame:
 *   decode (pure) → bound tap by ifindex → guard → responder (pure) →
 *   encode (pure) → send on the same ifindex.
 * This file only dispatches by EtherType; the handlers live beside it.
 * Nothing throws past `handle`: a decoder error is a counted drop, and an
 * unexpected exception is counted and (rate-limited) logged.
 */
import type { Tap } from '../runtime/tap-table.js';
import { TokenBuckets } from '../util/token-bucket.js';
import { EtherType } from '../wire/ethernet.js';
import { handleArp } from './arp-handler.js';
import { PathContext, type PacketPathDeps, type ReceivedFrame } from './context.js';
import { handleIpv4 } from './dhcp4-handler.js';
import { Ipv6Handler } from './ipv6-handler.js';

export type { FrameOut, PacketPathDeps, ReceivedFrame, SendFn } from './context.js';

export class PacketPath {
  readonly #ctx: PathContext;
  readonly #ipv6: Ipv6Handler;
  /** Per-tap flood guard, checked before any decoding so a flood costs a lookup per frame. */
  readonly #buckets = new TokenBuckets();

  constructor(deps: PacketPathDeps) {
    this.#ctx = new PathContext(deps);
    this.#ipv6 = new Ipv6Handler(this.#ctx);
  }

  /** Drops per-tap state (rate limiters) of a tap that went away. */
  forget(tap: string): void {
    this.#ipv6.forget(tap);
    this.#ctx.forgetTap(tap);
    this.#buckets.forget(tap);
  }

  /** A received frame, straight from the socket layer (io/tap-sockets.ts delivers to this method). */
  handle(frame: ReceivedFrame): void {
    const { stats, log, observeReply } = this.#ctx.d;
    stats.global.frames++;
    if (observeReply) this.#ctx.receivedAt = performance.now(); // one clock read per frame, only with metrics on
    try {
      const tap = this.#ctx.d.taps.lookup(frame.ifindex);
      if (!tap) {
        // Frames from taps without a binding (or other interfaces) are never answered.
        stats.drop(undefined, 'unbound-interface');
        return;
      }
      this.#dispatch(tap, frame);
    } catch (e) {
      stats.drop(undefined, 'internal-error');
      this.#ctx.rateLimited('internal-error', () =>
        log.error({ err: (e as Error).stack, ifindex: frame.ifindex }, 'internal error on the packet path; frame dropped'),
      );
    }
  }

  #withinRate(tap: Tap): boolean {
    const { guard } = this.#ctx.d.settings();
    if (this.#buckets.take(tap.binding.tap, guard.burst, guard.rate, this.#ctx.d.now())) return true;
    this.#ctx.drop(tap, 'rate-limited');
    // The bucket is empty: the next frame passes in at most 1/rate s; until then reading is wasted work.
    this.#ctx.d.out.pause(tap.link.ifindex, Math.max(5, Math.ceil(1000 / guard.rate)));
    this.#ctx.rateLimited(`flood:${tap.binding.tap}`, () =>
      this.#ctx.d.log.warn(
        { tap: tap.binding.tap, mac: tap.binding.mac, rate: guard.rate, burst: guard.burst },
        'guest exceeds the per-tap frame rate; excess frames dropped',
      ),
    );
    return false;
  }

  #dispatch(tap: Tap, frame: ReceivedFrame): void {
    if (!this.#withinRate(tap)) return;
    if (frame.vlanTci !== undefined) {
      // A reply would go out untagged, on the wrong VLAN: a tap carries one untagged link.
      return this.#ctx.drop(tap, 'vlan-tagged');
    }
    const d = frame.data;
    const ethertype = d.length >= 14 ? (d[12]! << 8) | d[13]! : -1;
    switch (ethertype) {
      case EtherType.Ipv4:
        return handleIpv4(this.#ctx, tap, frame);
      case EtherType.Ipv6:
        return this.#ipv6.handle(tap, frame);
      case EtherType.Arp:
        return handleArp(this.#ctx, tap, frame);
      default:
        return this.#ctx.drop(tap, 'unhandled-ethertype');
    }
  }
}
