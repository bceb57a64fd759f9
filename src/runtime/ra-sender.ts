/**
 * Sends the Router Advertisements nobody asked for: the initial and
 * periodic ones the RA scheduler (ra-scheduler.ts) calls for, and the final
 * RA (router lifetime 0) for a binding removed while its tap lives. What an
 * RA says is the responder's (protocols/router-advert.ts); this module
 * builds the frame, keeps it, sends it and counts.
 *
 * Initial and periodic RAs of a binding are the same frame every time, and
 * building them was most of the daemon's idle cost at 4096 taps: the frame
 * is kept per binding (a WeakMap: a removed binding takes its frame along)
 * with the `[ipv6]` settings and server MAC it was built from, and built
 * again when either changed. Bindings and settings are replaced, never
 * changed in place, so identity says "unchanged". The final RA is sent once
 * per binding and not kept.
 */
import type { Logger } from 'pino';
import type { Binding } from '../bindings/binding.js';
import type { Settings } from '../config/config.js';
import type { SendFn } from '../packet/path.js';
import { finalRouterAdvertisement, unsolicitedRouterAdvertisement } from '../protocols/router-advert.js';
import { ndpReplyFrame, type NdpDecision } from '../protocols/ndp-frame.js';
import { withdrawnValidLifetime, type DeprecatedPrefix } from '../protocols/ra-extras.js';
import type { PrefixWithdrawals } from './prefix-withdrawals.js';
import { OncePerInterval } from '../util/interval.js';
import type { RaKind } from './ra-scheduler.js';
import type { Stats } from './stats.js';
import type { Tap, TapTable } from './tap-table.js';

type RaBuilder = (b: Binding, s: Settings['ipv6'], mac: string, deprecated?: readonly DeprecatedPrefix[]) => NdpDecision;

/** An RA frame and what it was built from. */
interface CachedRa {
  settings: Settings['ipv6'];
  mac: string;
  frame: Uint8Array;
}

export interface RaSenderDeps {
  /** The MAC to answer with on a tap (INDEV's). */
  taps: Pick<TapTable, 'serverMac'>;
  settings: () => Settings;
  /** The socket layer (io/tap-sockets.ts). */
  out: { send: SendFn };
  stats: Stats;
  log: Logger;
  /** Clock for the log limit (tests); default Date.now. */
  now?: () => number;
  /** Prefixes the taps' bindings left: deprecated in their RAs (prefix-withdrawals.ts). */
  withdrawals?: Pick<PrefixWithdrawals, 'of' | 'withdraw'>;
}

/** An RA that cannot be encoded fails every time: counted each time, logged at most this often per tap. */
export const RA_ENCODE_LOG_INTERVAL_MS = 60_000;

export class RaSender {
  readonly #d: RaSenderDeps;
  readonly #unsolicited = new WeakMap<Binding, CachedRa>();
  readonly #encodeLogged = new OncePerInterval();

  constructor(deps: RaSenderDeps) {
    this.#d = deps;
  }

  /** An initial or periodic RA (RaScheduler's `send`), counted as `ra-<kind>` or `send-<errno>`. */
  unsolicited(tap: Tap, kind: RaKind): void {
    const sent = this.#send(tap, (b, s, mac, deprecated) => unsolicitedRouterAdvertisement(b, s, mac, deprecated && { deprecated }), this.#unsolicited);
    if (!sent) return;
    if (sent.ok) this.#d.stats.reply(tap.binding.tap, `ra-${kind}`);
    else this.#d.stats.drop(tap.binding.tap, `send-${sent.error}`);
  }

  /**
   * The final RA (router lifetime 0, its prefix deprecated) of a binding that
   * stops advertising while its tap lives, so its guest drops the default
   * route and stops using the prefix now; the prefix is then remembered as
   * withdrawn, for the RAs of a binding that comes back (prefix-withdrawals.ts).
   */
  final(tap: Tap): boolean {
    if (!this.#send(tap, finalRouterAdvertisement)?.ok) return false;
    const s6 = tap.binding.subnet6;
    if (s6) this.#d.withdrawals?.withdraw(tap.binding.tap, s6.network, s6.prefixLength, withdrawnValidLifetime(this.#d.settings().ipv6));
    this.#d.log.info({ tap: tap.binding.tap, mac: tap.binding.mac }, 'final router advertisement (lifetime 0, prefix deprecated) sent for a binding that stopped advertising');
    return true;
  }

  /** Builds (or takes from `cache`) the tap's RA and sends it; undefined when there is nothing to send. */
  #send(tap: Tap, build: RaBuilder, cache?: WeakMap<Binding, CachedRa>): ReturnType<SendFn> | undefined {
    const mac = this.#d.taps.serverMac(tap);
    if (!mac) return undefined;
    const settings = this.#d.settings().ipv6;
    // A tap deprecating a prefix gets RAs built each time (the valid lifetime counts down), not the kept frame.
    const deprecated = this.#d.withdrawals?.of(tap.binding.tap, tap.binding.subnet6);
    if (deprecated) cache = undefined;
    const kept = cache?.get(tap.binding);
    if (kept && kept.settings === settings && kept.mac === mac) return this.#d.out.send(tap.link.ifindex, kept.frame);
    const d = build(tap.binding, settings, mac, deprecated);
    if (d.kind === 'drop') return undefined;
    const built = ndpReplyFrame(d.reply, mac);
    if (!built.ok) {
      // Never silent (issue 11): the guest stops getting RAs, so say so — counted, and logged once per interval.
      this.#d.stats.drop(tap.binding.tap, 'ra-encode-failed');
      if (this.#encodeLogged.take(tap.binding.tap, (this.#d.now ?? Date.now)(), RA_ENCODE_LOG_INTERVAL_MS)) {
        this.#d.log.error({ tap: tap.binding.tap, mac: tap.binding.mac, err: built.error }, 'router advertisement could not be encoded');
      }
      return undefined;
    }
    cache?.set(tap.binding, { settings, mac, frame: built.frame });
    return this.#d.out.send(tap.link.ifindex, built.frame);
  }
}
