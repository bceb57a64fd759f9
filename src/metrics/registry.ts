/**
 * The Prometheus metrics (issue 16): a registry of its own (never
 * prom-client's global one) whose counters are read from Stats when
 * scraped, by collect() callbacks, not incremented beside them: the
 * endpoint and `onlinkctl stats` report the same numbers by construction,
 * and a tap's series go away with its counters (Stats.forget on binding
 * removal), so cardinality stays bounded by the bound taps.
 *
 * Only the reply latency is observed on the packet path (observeReply),
 * into a histogram with fixed buckets: one clock read per received frame
 * and one per reply sent, and none at all when metrics are off.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AnnouncementKind } from '../protocols/announce.js';
import type { Stats, TapCounters } from '../runtime/stats.js';

export interface MetricsSources {
  stats: Stats;
  /** Bindings known, attached to a present tap, and rejected (a binding file with errors). */
  bindings: () => { total: number; attached: number; errors: number };
  /** Brings kernel drop counters up to date before a scrape (runtime/kernel-drops.ts). */
  refresh?: () => void;
}

/** Reply kinds that are announcements (runtime/announcer.ts counts them as replies of their AnnouncementKind): typed by it, so a kind added there fails to compile here until listed. */
const ANNOUNCEMENT_KINDS: Readonly<Record<AnnouncementKind, true>> = { garp: true, una: true };

/** Seconds from frame receipt to reply sent: a reply takes tens of microseconds, a stalled loop milliseconds. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5];

/** A counter whose value per label set is read from Stats at scrape time. */
function statsCounter(
  registry: Registry, name: string, help: string, label: string,
  sources: MetricsSources, pick: (c: TapCounters) => Record<string, number>, keep: (key: string) => boolean = () => true,
): void {
  new Counter({
    name, help, labelNames: ['tap', label], registers: [registry],
    collect() {
      this.reset(); // taps gone since the last scrape lose their series
      for (const [tap, c] of Object.entries(sources.stats.snapshot().taps)) {
        for (const [key, n] of Object.entries(pick(c))) if (keep(key)) this.inc({ tap, [label]: key }, n);
      }
    },
  });
}

export class Metrics {
  readonly registry = new Registry();
  readonly #latency: Histogram;

  constructor(sources: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r }); // process_resident_memory_bytes, nodejs_eventloop_lag_*, ...
    statsCounter(r, 'onlinkd_requests_total', 'Requests received from guests, per tap and kind', 'kind', sources, (c) => c.requests);
    statsCounter(r, 'onlinkd_replies_total', 'Replies sent, per tap and kind', 'kind', sources, (c) => c.replies);
    statsCounter(r, 'onlinkd_drops_total', 'Frames dropped, per tap and reason', 'reason', sources, (c) => c.drops);
    statsCounter(r, 'onlinkd_announcements_total', 'Gratuitous ARPs and unsolicited NAs sent, per tap', 'kind', sources, (c) => c.replies, (k) => Object.hasOwn(ANNOUNCEMENT_KINDS, k));
    const { stats } = sources;
    new Counter({
      name: 'onlinkd_unbound_drops_total', help: 'Frames dropped before a bound tap was known, per reason', labelNames: ['reason'], registers: [r],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(stats.global.drops)) this.inc({ reason }, n);
      },
    });
    const total = (name: string, help: string, read: () => number) =>
      new Counter({ name, help, registers: [r], collect() { this.reset(); this.inc(read()); } });
    total('onlinkd_frames_total', 'Frames received on bound taps\' sockets', () => stats.global.frames);
    total('onlinkd_kernel_packets_total', 'Frames the tap sockets received (kernel PACKET_STATISTICS)', () => stats.global.kernel.packets);
    total('onlinkd_kernel_drops_total', 'Frames the kernel dropped because a tap socket was read too slowly', () => stats.global.kernel.drops);
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [r], collect() { this.set(read()); } });
    gauge('onlinkd_bindings', 'Bindings known', () => sources.bindings().total);
    gauge('onlinkd_bound_taps', 'Bindings whose tap is present and served', () => sources.bindings().attached);
    gauge('onlinkd_binding_errors', 'Binding files rejected (onlinkctl list shows why)', () => sources.bindings().errors);
    this.#latency = new Histogram({
      name: 'onlinkd_reply_latency_seconds', help: 'Time from frame receipt to its reply sent', buckets: LATENCY_BUCKETS, registers: [r],
    });
    this.#refresh = sources.refresh;
  }

  readonly #refresh: (() => void) | undefined;

  /** A reply went out `seconds` after its frame was received (packet/context.ts). */
  observeReply(seconds: number): void {
    this.#latency.observe(seconds);
  }

  /** The text exposition format, counters brought up to date first. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    this.#refresh?.();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
