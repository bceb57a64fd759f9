/**
 * The daemon's metrics start step: the registry and its endpoint when
 * `[metrics] listen` is set, with an error that names the key when the
 * address cannot be listened on (a start failure, like any bad config).
 */
import type { Logger } from 'pino';
import type { BindingStore } from '../bindings/store.js';
import type { MetricsListen } from '../config/settings.js';
import { Metrics, type MetricsSources } from './registry.js';
import { MetricsServer } from './server.js';

export type { Metrics };

/** Bindings known, attached, rejected: what status-get counts too. */
export function bindingCounts(store: Pick<BindingStore, 'rejectedCount' | 'size'>, taps: { attachedCount: number } | undefined): ReturnType<MetricsSources['bindings']> {
  return { total: store.size, attached: taps?.attachedCount ?? 0, errors: store.rejectedCount };
}

export async function startMetrics(
  listen: MetricsListen | undefined, sources: MetricsSources, log: Pick<Logger, 'info' | 'warn'>,
): Promise<{ metrics: Metrics; server: MetricsServer } | undefined> {
  if (!listen) return undefined;
  const metrics = new Metrics(sources);
  const server = await MetricsServer.start(listen, metrics, (err) => log.warn({ err: err.message }, 'metrics endpoint error')).catch((e: Error) => {
    throw new Error(`[metrics] listen = ${listen.host}:${listen.port}: cannot listen: ${e.message}`);
  });
  log.info({ host: listen.host, port: server.port }, 'metrics endpoint listening (GET /metrics)');
  return { metrics, server };
}
