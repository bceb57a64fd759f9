/**
 * Announces a VM's addresses upstream — gratuitous ARP for IP on the IPv4
 * uplink, unsolicited NA for EUI64 on the IPv6 uplink — when its tap comes
 * up, when a binding is added for an up tap, and on the `announce` command
 * (after a live migration). The plan (what, where, when) is pure
 * (protocols/announce.ts); this class arms the timers, looks the uplink up
 * by name at send time (it may be missing or down: counted and logged, the
 * daemon goes on), and sends.
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/config.js';
import { announcementFrame, announcementPlan, type Announcement } from '../protocols/announce.js';
import type { Stats } from './stats.js';
import type { EventBus } from './events.js';
import type { LinkSource, Tap } from './tap-table.js';
import { OncePerInterval } from '../util/interval.js';
import { safeTimeout } from '../util/timer.js';

export type AnnounceReason = 'tap-up' | 'binding-added' | 'command';

export interface AnnouncerDeps {
  settings: () => Settings;
  links: Pick<LinkSource, 'byName'>;
  send: (ifindex: number, frame: Uint8Array) => { ok: true } | { ok: false; error: string };
  stats: Stats;
  log: Logger;
  /** `announce-sent` per frame sent (runtime/events.ts). */
  events?: Pick<EventBus, 'emit'>;
}

export class Announcer {
  readonly #timers = new Map<string, NodeJS.Timeout[]>();
  readonly #d: AnnouncerDeps;
  readonly #warned = new OncePerInterval();

  constructor(deps: AnnouncerDeps) {
    this.#d = deps;
  }

  /** (Re)starts the announcements of a tap; returns the plan (empty when no uplink is configured). */
  announce(tap: Tap, reason: AnnounceReason): Announcement[] {
    const b = tap.binding;
    this.cancel(b.tap);
    const plan = announcementPlan(b, this.#d.settings().announce);
    if (plan.length === 0) {
      if (reason === 'command') this.#d.log.info({ tap: b.tap, reason }, 'nothing to announce: no uplink configured for this binding');
      return plan;
    }
    this.#d.log.info(
      {
        tap: b.tap,
        mac: b.mac,
        ip: b.ip,
        eui64: b.eui64,
        reason,
        uplinks: [...new Set(plan.map((a) => a.interface))],
        frames: plan.length,
      },
      'announcing VM addresses upstream',
    );
    const timers = plan.map((a) => {
      const t = safeTimeout('announcer', () => this.#send(b.tap, a), a.at, this.#d.log);
      t.unref();
      return t;
    });
    this.#timers.set(b.tap, timers);
    return plan;
  }

  cancel(tap: string): void {
    for (const t of this.#timers.get(tap) ?? []) clearTimeout(t);
    this.#timers.delete(tap);
  }

  stop(): void {
    for (const tap of [...this.#timers.keys()]) this.cancel(tap);
  }

  #send(tap: string, a: Announcement): void {
    const uplink = this.#d.links.byName(a.interface);
    const { kind } = a;
    if (!uplink?.mac || !uplink.up) {
      this.#d.stats.drop(tap, `${kind}-uplink-unavailable`);
      this.#warnOnce(`${tap}:${a.interface}`, () =>
        this.#d.log.warn({ tap, uplink: a.interface, present: uplink !== undefined, address: a.address }, 'cannot announce: uplink missing or down'),
      );
      return;
    }
    const built = announcementFrame(a, uplink.mac, this.#d.settings().announce);
    if (!built.ok) {
      this.#d.stats.drop(tap, `${kind}-encode-failed`);
      this.#d.log.error({ tap, err: built.error }, 'announcement could not be encoded');
      return;
    }
    const sent = this.#d.send(uplink.ifindex, built.frame);
    if (!sent.ok) {
      this.#d.stats.drop(tap, `${kind}-send-${sent.error}`);
      this.#warnOnce(`${tap}:${a.interface}:send`, () => this.#d.log.warn({ tap, uplink: a.interface, err: sent.error }, 'sending announcement failed'));
      return;
    }
    this.#d.stats.reply(tap, kind);
    this.#d.events?.emit('announce-sent', tap, undefined, a.address);
    this.#d.log.debug({ tap, uplink: a.interface, kind, address: a.address }, 'announcement sent');
  }

  /** At most one warning per key per minute: a missing uplink must not flood the journal. */
  #warnOnce(key: string, fn: () => void): void {
    if (this.#warned.take(key, Date.now(), 60_000)) fn(); // a clock stepped back does not mute it
  }
}
