/**
 * The /metrics endpoint on a real HTTP socket, its text parsed by an
 * independent Prometheus text parser: the counters equal Stats (what
 * `onlinkctl stats` shows), a tap's series vanish with its counters, the
 * latency histogram counts observed replies, and the endpoint answers
 * nothing but GET /metrics.
 */
import parse from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/metrics/registry.js';
import { MetricsServer } from '../../../src/metrics/server.js';
import { metricsListen } from '../../../src/config/metrics-values.js';
import { Stats } from '../../../src/runtime/stats.js';
import { startMetrics } from '../../../src/metrics/start.js';

let server: MetricsServer | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function serve(stats: Stats, refresh?: () => void): Promise<{ metrics: Metrics; url: string }> {
  const metrics = new Metrics({ stats, bindings: () => ({ total: 3, attached: 2, errors: 1 }), refresh });
  server = await MetricsServer.start({ host: '127.0.0.1', port: 0 }, metrics, (e) => {
    throw e;
  });
  return { metrics, url: `http://127.0.0.1:${server.port}` };
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const families = parse(await res.text());
  return new Map(families.map((f) => [f.name, f]));
}

/** The value of `name` per label set, as "k=v,k=v" → number. */
function series(fams: Awaited<ReturnType<typeof scrape>>, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of fams.get(name)?.metrics ?? []) {
    const key = Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    out[key] = Number(m.value);
  }
  return out;
}

describe('metrics endpoint', () => {
  it('reports exactly the Stats counters, per tap, and drops a tap\'s series when its counters go', async () => {
    const stats = new Stats();
    stats.request('tap1', 'dhcp-discover', 0);
    stats.request('tap1', 'dhcp-discover', 0);
    stats.reply('tap1', 'dhcp-offer');
    stats.reply('tap1', 'garp');
    stats.drop('tap1', 'rate-limited', 7);
    stats.reply('tap2', 'dhcp-ack');
    stats.drop(undefined, 'unbound-interface', 4);
    stats.global.frames = 42;
    let refreshed = 0;
    const { url } = await serve(stats, () => {
      refreshed++;
      stats.global.kernel = { packets: 100, drops: 5 };
    });

    let f = await scrape(url);
    expect(refreshed).toBe(1); // kernel counters read before the answer, as statistic-get does
    const snap = stats.snapshot();
    const want = (pick: 'requests' | 'replies' | 'drops', label: string) =>
      Object.fromEntries(Object.entries(snap.taps).flatMap(([tap, c]) => Object.entries(c[pick]).map(([k, n]) => [`tap=${tap},${label}=${k}`, n])));
    expect(series(f, 'onlinkd_requests_total')).toEqual(want('requests', 'kind'));
    expect(series(f, 'onlinkd_replies_total')).toEqual(want('replies', 'kind'));
    expect(series(f, 'onlinkd_drops_total')).toEqual(want('drops', 'reason'));
    expect(series(f, 'onlinkd_announcements_total')).toEqual({ 'tap=tap1,kind=garp': 1 });
    expect(series(f, 'onlinkd_unbound_drops_total')).toEqual({ 'reason=unbound-interface': 4 });
    expect(series(f, 'onlinkd_frames_total')).toEqual({ '': 42 });
    expect(series(f, 'onlinkd_kernel_drops_total')).toEqual({ '': 5 });
    expect(series(f, 'onlinkd_kernel_packets_total')).toEqual({ '': 100 });
    expect(series(f, 'onlinkd_bound_taps')).toEqual({ '': 2 });
    expect(series(f, 'onlinkd_bindings')).toEqual({ '': 3 });
    expect(series(f, 'onlinkd_binding_errors')).toEqual({ '': 1 });
    expect(f.get('onlinkd_replies_total')?.type).toBe('COUNTER');
    // prom-client's default metrics: memory and event-loop lag.
    expect(Number(f.get('process_resident_memory_bytes')?.metrics[0]?.value)).toBeGreaterThan(0);
    expect(f.has('nodejs_eventloop_lag_seconds')).toBe(true);

    stats.reply('tap1', 'dhcp-offer');
    stats.forget('tap2'); // its binding went away (daemon.ts: store 'removed')
    f = await scrape(url);
    expect(series(f, 'onlinkd_replies_total')).toEqual({ 'tap=tap1,kind=dhcp-offer': 2, 'tap=tap1,kind=garp': 1 });
    expect(JSON.stringify([...f.values()])).not.toContain('tap2');
  });

  it('counts reply latencies into the histogram buckets', async () => {
    const { metrics, url } = await serve(new Stats());
    metrics.observeReply(0.00003);
    metrics.observeReply(0.002);
    const h = (await scrape(url)).get('onlinkd_reply_latency_seconds');
    expect(h?.type).toBe('HISTOGRAM');
    const m = h!.metrics[0]!;
    expect(Number(m.count)).toBe(2);
    const bucket = (le: number) => Number(Object.entries(m.buckets!).find(([k]) => Number(k) === le)?.[1]);
    expect(bucket(0.00005)).toBe(1);
    expect(bucket(0.001)).toBe(1);
    expect(bucket(0.0025)).toBe(2);
  });

  it('answers only GET /metrics', async () => {
    const { url } = await serve(new Stats());
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics/x`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
  });
});

describe('metrics start step', () => {
  const log = { info: () => {}, warn: () => {} };
  const sources = () => ({ stats: new Stats(), bindings: () => ({ total: 0, attached: 0, errors: 0 }) });

  it('is off without [metrics] listen', async () => {
    expect(await startMetrics(undefined, sources(), log)).toBeUndefined();
  });

  it('an address in use stops the start with an error naming the key', async () => {
    const first = await startMetrics({ host: '127.0.0.1', port: 0 }, sources(), log);
    try {
      const port = first!.server.port;
      await expect(startMetrics({ host: '127.0.0.1', port }, sources(), log)).rejects.toThrow(`[metrics] listen = 127.0.0.1:${port}: cannot listen`);
    } finally {
      first!.server.close();
    }
  });
});

describe('[metrics] listen', () => {
  it('PORT alone is loopback; HOST:PORT and [IPv6]:PORT as written; empty is off', () => {
    expect(metricsListen('')).toBeUndefined();
    expect(metricsListen('9469')).toEqual({ host: '127.0.0.1', port: 9469 });
    expect(metricsListen('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(metricsListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
  });
  it.each(['localhost:9100', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '[203.0.113.1]:80', '::1:9100', 'x'])('refuses %s', (v) => {
    expect(() => metricsListen(v)).toThrow();
  });
});
