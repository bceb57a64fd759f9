/**
 * Metrics and events end to end (issue 16): onlinkd in the hypervisor
 * namespace with `[metrics] listen` on its loopback and an `onlinkctl watch
 * --json` (a `subscribe` connection) following it. A VM's lease (udhcpc)
 * shows up as a `lease-acked` event with its tap, MAC and address, and in
 * a /metrics scrape (parsed by an independent Prometheus text parser) with
 * the same counts as `onlinkctl stats`; a binding added and removed over
 * the control socket is seen as `binding-applied`/`binding-removed`, and
 * its tap's series leave the scrape with it.
 */
import parse from 'parse-prometheus-text-format';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { udhcpc } from './clients.js';
import { Lab, describeLab, waitFor, type LabProcess } from './lab.js';
import { ONLINKCTL, Onlinkd, bindingText } from './onlinkd.js';

const PORT = 9469;
const SCRAPE = `fetch('http://127.0.0.1:${PORT}/metrics').then(async (r) => { if (r.status !== 200) process.exit(1); process.stdout.write(await r.text()); })`;

describeLab(
  'metrics and events',
  () => {
    let lab: Lab;
    let d: Onlinkd;
    let watcher: LabProcess;

    /** The hypervisor namespace's /metrics, as family name → samples. */
    async function scrape() {
      const text = await lab.run('hv', [process.execPath, '-e', SCRAPE], { timeoutMs: 10_000 });
      return new Map(parse(text).map((f) => [f.name, f]));
    }
    const sample = (f: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string> = {}) =>
      f.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    const events = () => watcher.stdoutLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const event = (want: Record<string, unknown>) =>
      waitFor(`event ${JSON.stringify(want)}`, async () => events().find((e) => Object.entries(want).every(([k, v]) => e[k] === v)));

    beforeAll(async () => {
      lab = await Lab.create({ vms: [{ tap: 'tap60', mac: 'aa:00:00:00:00:60' }, { tap: 'tap61', mac: 'aa:00:00:00:00:61' }] });
      d = new Onlinkd(lab);
      d.writeBinding('tap60', bindingText({ mac: 'aa:00:00:00:00:60', ip: '203.0.113.60' }));
      await d.start(`[metrics]\nlisten = 127.0.0.1:${PORT}\n`);
      watcher = lab.spawn('hv', [process.execPath, ONLINKCTL, '--socket', d.socketPath, 'watch', '--json']);
      // Subscribed once a binding applied after it is seen. Bind again until then, each time a changed
      // binding (another hostname): the same binding again is no change and applies nothing, so a watcher
      // that subscribed after the first bind would wait for ever.
      let attempt = 0;
      await waitFor('the watcher to subscribe', async () => {
        attempt += 1;
        const r = await d.ctl(['bind', 'tap61', '--mac', 'aa:00:00:00:00:61', '--ip', '203.0.113.61', '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1', '--hostname', `vm61-${attempt}`]);
        expect(r.code).toBe(0);
        await new Promise((res) => setTimeout(res, 300));
        if (watcher.stderrLines.some((l) => l.startsWith('onlinkctl:'))) throw new Error(`onlinkctl watch failed: ${watcher.stderrLines.join('\n')}`);
        return events().find((e) => e.event === 'binding-applied' && e.tap === 'tap61');
      }, 20_000);
    }, 60_000);

    afterAll(async () => {
      await watcher?.kill();
      await d?.stop();
      await lab?.destroy();
    });

    it('a VM lease is a lease-acked event and is counted in /metrics as in onlinkctl stats', async () => {
      const lease = await udhcpc(lab, 'tap60');
      expect(lease?.ip).toBe('203.0.113.60');
      const e = await event({ event: 'lease-acked', tap: 'tap60' });
      expect(e).toMatchObject({ mac: 'aa:00:00:00:00:60', address: '203.0.113.60' });
      expect(Number.isNaN(Date.parse(String(e.time)))).toBe(false);

      const f = await scrape();
      const stats = JSON.parse((await d.ctl(['--json', 'stats', 'tap60'])).stdout) as { taps: Record<string, { replies: Record<string, number>; requests: Record<string, number> }> };
      const replies = stats.taps.tap60!.replies;
      expect(replies['dhcp-ack']).toBeGreaterThanOrEqual(1);
      for (const [kind, n] of Object.entries(replies)) {
        expect(Number(sample(f, 'onlinkd_replies_total', { tap: 'tap60', kind })?.value), kind).toBe(n);
      }
      expect(Number(sample(f, 'onlinkd_requests_total', { tap: 'tap60', kind: 'dhcp-request' })?.value)).toBe(stats.taps.tap60!.requests['dhcp-request']);
      // Offer and ack at least went through the latency histogram, measured from frame receipt.
      expect(Number(sample(f, 'onlinkd_reply_latency_seconds')?.count)).toBeGreaterThanOrEqual(2);
      expect(Number(sample(f, 'onlinkd_bound_taps')?.value)).toBe(2);
      expect(Number(sample(f, 'process_resident_memory_bytes')?.value)).toBeGreaterThan(0);
      expect(f.has('nodejs_eventloop_lag_seconds')).toBe(true);
    });

    it('a binding removed is a binding-removed event, and its tap leaves /metrics', async () => {
      // A reply on tap61 first, so it has series to lose.
      expect((await udhcpc(lab, 'tap61'))?.ip).toBe('203.0.113.61');
      expect(sample(await scrape(), 'onlinkd_replies_total', { tap: 'tap61' })).toBeDefined();
      expect((await d.ctl(['unbind', 'tap61'])).code).toBe(0);
      await event({ event: 'binding-removed', tap: 'tap61', mac: 'aa:00:00:00:00:61' });
      const f = await scrape();
      expect(JSON.stringify([...f.values()])).not.toContain('tap61');
      expect(Number(sample(f, 'onlinkd_bound_taps')?.value)).toBe(1);
    });
  },
);
