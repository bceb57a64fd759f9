/**
 * What happens when a binding meets its tap, when the tap changes state,
 * and when they part: the one subscriber to the tap table's events, so the
 * order is stated here and nowhere else.
 *
 * Met ('attached'):
 *   1. open the tap's receive socket: before anything is sent, so the
 *      guest's answer to it (an RS after our RA, a DHCP request) is queued;
 *   2. a binding that replaced another on the same tap (a changed file)
 *      withdraws what the old one advertised: when the new one advertises
 *      nothing (no SUBNET6, mode `none`), the old one's final RA goes out as
 *      on removal; when its SUBNET6 changed, the old prefix is remembered as
 *      withdrawn (prefix-withdrawals.ts), so the RAs of step 3 carry the new
 *      prefix and the old one deprecated (RFC 9096 §3.3);
 *   3. start its RA schedule, with an initial burst if the tap is up;
 *   4. if the tap is up, announce its addresses upstream (a new binding
 *      for a running VM: its addresses may have moved here);
 *   5. the sd_notify status line changed.
 *   Also, at once (start-up included): its host routes (`[routing] manage`,
 *   route-manager.ts), so a restart finds them wanted before the sweep.
 * Changed ('linkChanged'):
 *   1. open the socket if an earlier open failed (a link event is the retry);
 *   2. a tap coming up earns a new RA burst,
 *   3. and an announcement (a VM started or migrated in).
 * Parted ('detached'):
 *   1. stop its RA schedule and cancel pending announcements: nothing more
 *      is sent for the old binding;
 *   2. if the binding went away while the tap lives and is up, send the
 *      final RA (router lifetime 0, the prefix deprecated), so the guest
 *      drops its default route and stops using the prefix now — through the
 *      tap's socket, still open; when the tap itself went away there is no
 *      one to tell, and its withdrawn prefix is forgotten;
 *   3. close the socket (its kernel counters go to the totals);
 *   4. forget the packet path's per-tap state (rate limiters, log state);
 *   5. the status line changed.
 *   Also its host routes are removed (a deleted tap took them already).
 * The uplink proxy (uplink-proxy.ts) is told of every attach, detach and
 * up/down change: it answers upstream for the routed taps that are up.
 *
 * Start-up: while the binding directory loads, only sockets open (step 1);
 * serve() then gives every tap bound at start its socket and RA schedule
 * with its initial burst, but no announcement: a restart changes nothing on
 * the wire, and 4096 VMs announced at once would be a storm upstream for no
 * news. The status line is sent with READY when start-up is over.
 */
import type { Logger } from 'pino';
import type { Binding } from '../bindings/binding.js';
import type { BindingStore } from '../bindings/store.js';
import type { TapSockets } from '../io/tap-sockets.js';
import type { PacketPath } from '../packet/path.js';
import type { Announcer } from './announcer.js';
import type { NotifyStatus } from './notify-status.js';
import type { RaScheduler } from './ra-scheduler.js';
import type { RaSender } from './ra-sender.js';
import type { RouteManager } from './route-manager.js';
import type { UplinkProxy } from './uplink-proxy.js';
import type { PrefixWithdrawals } from './prefix-withdrawals.js';
import type { Settings } from '../config/config.js';
import { advertises } from '../protocols/router-advert.js';
import { withdrawnValidLifetime } from '../protocols/ra-extras.js';
import type { LinkInfo, LinkSource, Tap, TapTable } from './tap-table.js';

export interface TapLifecycleDeps {
  taps: Pick<TapTable, 'on' | 'byName'>;
  links: Pick<LinkSource, 'byIndex'>;
  store: Pick<BindingStore, 'get' | 'bindings'>;
  sockets: Pick<TapSockets, 'open' | 'has' | 'close'>;
  ra: Pick<RaScheduler, 'attach' | 'linkChanged' | 'detach'>;
  raSender: Pick<RaSender, 'final'>;
  withdrawals?: Pick<PrefixWithdrawals, 'withdraw' | 'forget'>;
  /** `[ipv6]` now (what was advertised and the withdrawn prefix's valid lifetime). */
  settings?: () => Settings;
  announcer: Pick<Announcer, 'announce' | 'cancel'>;
  path: Pick<PacketPath, 'forget'>;
  status: Pick<NotifyStatus, 'changed'>;
  /** Host routes to the taps (`[routing] manage`), when onlinkd keeps them. */
  routes?: Pick<RouteManager, 'attach' | 'linkChanged' | 'detach' | 'sweep'>;
  /** The uplink proxy: which addresses it answers for follows the bound taps and their state. */
  proxy?: Pick<UplinkProxy, 'changed'>;
  log: Logger;
}

export class TapLifecycle {
  readonly #d: TapLifecycleDeps;
  /** False while the bindings load at start-up (see the module comment). */
  #serving = false;

  /** Subscribes to the tap table; from now on every tap that meets its binding gets its socket. */
  constructor(deps: TapLifecycleDeps) {
    this.#d = deps;
    deps.taps.on('attached', (tap, previous) => this.#attached(tap, previous));
    deps.taps.on('linkChanged', (tap, previous) => this.#linkChanged(tap, previous));
    deps.taps.on('detached', (binding, ifindex) => this.#detached(binding, ifindex));
  }

  /** Start-up is over: the taps bound now get their sockets and RA schedules, and every event its full course. */
  serve(): void {
    this.#serving = true;
    for (const b of this.#d.store.bindings()) {
      const tap = this.#d.taps.byName(b.tap);
      if (!tap) continue;
      this.#listen(tap); // a binding attached before this subscriber (a control request during start)
      this.#d.routes?.attach(tap);
      this.#d.ra.attach(tap);
    }
    this.#d.routes?.sweep(); // every binding present at start has claimed its routes: the others are stale
    this.#d.proxy?.changed();
  }

  #attached(tap: Tap, previous?: Binding): void {
    this.#listen(tap);
    this.#d.routes?.attach(tap); // at start too: a route already in place is kept, not re-added
    this.#d.proxy?.changed();
    if (!this.#serving) return;
    if (previous) this.#withdraw(tap, previous);
    this.#d.ra.attach(tap);
    if (tap.link.up) this.#d.announcer.announce(tap, 'binding-added');
    this.#d.status.changed();
  }

  #linkChanged(tap: Tap, previous: LinkInfo | undefined): void {
    if (!this.#d.sockets.has(tap.link.ifindex)) this.#listen(tap);
    if (tap.link.up !== (previous?.up ?? false)) {
      this.#d.routes?.linkChanged(tap);
      this.#d.proxy?.changed();
    }
    if (!this.#serving) return;
    const wasUp = previous?.up ?? false;
    this.#d.ra.linkChanged(tap, wasUp);
    if (tap.link.up && !wasUp) this.#d.announcer.announce(tap, 'tap-up');
  }

  #detached(binding: Binding, ifindex: number): void {
    if (this.#serving) {
      this.#d.ra.detach(ifindex);
      this.#d.announcer.cancel(binding.tap);
      const link = this.#d.links.byIndex(ifindex);
      if (link && link.name === binding.tap && link.up && !this.#d.store.get(binding.tap)) this.#d.raSender.final({ binding, link });
      else if (!link || link.name !== binding.tap) this.#d.withdrawals?.forget(binding.tap);
    }
    this.#d.routes?.detach(binding);
    this.#d.proxy?.changed(); // a VM unbound (migrated away) is not answered upstream from the next turn
    this.#d.sockets.close(ifindex);
    this.#d.path.forget(binding.tap);
    if (this.#serving) this.#d.status.changed();
  }

  /** Step 2 of 'attached': what `previous` advertised on this tap and `tap.binding` does not. */
  #withdraw(tap: Tap, previous: Binding): void {
    const v6 = this.#d.settings?.().ipv6;
    const old = previous.subnet6;
    if (!v6 || !old || !advertises(previous, v6) || !tap.link.up) return;
    if (!advertises(tap.binding, v6)) {
      this.#d.raSender.final({ binding: previous, link: tap.link });
      return;
    }
    const now = tap.binding.subnet6;
    if (now && (now.network !== old.network || now.prefixLength !== old.prefixLength)) {
      this.#d.withdrawals?.withdraw(tap.binding.tap, old.network, old.prefixLength, withdrawnValidLifetime(v6));
      this.#d.log.info({ tap: tap.binding.tap, from: `${old.network}/${old.prefixLength}`, to: `${now.network}/${now.prefixLength}` }, 'SUBNET6 changed: the old prefix is deprecated in the next RAs');
    }
  }

  #listen(tap: Tap): void {
    const r = this.#d.sockets.open(tap.link.ifindex, tap.binding.tap);
    if (!r.ok) socketFailed(this.#d.log, tap.binding.tap, tap.link.ifindex, r.error);
  }
}

/** A tap whose socket cannot open is not answered: an error line (its next link event retries). */
export function socketFailed(log: Pick<Logger, 'error'>, tap: string, ifindex: number, err: string): void {
  log.error({ tap, ifindex, err }, 'cannot open a packet socket on the tap; its guest is not answered');
}
