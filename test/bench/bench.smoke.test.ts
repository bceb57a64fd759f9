/**
 * The benchmark harness, end to end against onlinkd only, in a few seconds:
 * every exchange kind answered and counted consistently, in each generator
 * mode, on one tap and on a small multi-tap lab. No speed is asserted
 * (`npm run bench` measures; CI only proves the harness works).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, type Lab } from '../e2e/lab.js';
import { assertBuilt } from '../e2e/onlinkd.js';
import { measure, singleVmLab, type RunOptions } from './compare.js';
import { benchBindingAdd } from './control.js';
import { ensureGenerator, type Exchange, type GenResult } from './generator.js';
import { scaleLab } from './scale.js';
import { SINGLE, bindingFor, startOnlinkd, type OnlinkdServer } from './servers.js';

const N = 300;
const run: RunOptions = { mode: 'window', window: 16, durationS: 10, warmupS: 0, timeoutS: 1 };

function expectAllAnswered(g: GenResult, n = N): void {
  expect(g.started).toBe(n);
  expect(g.completed).toBe(n);
  expect(g.lost).toBe(0);
  expect(g.late).toBe(0);
  expect(g.send_errors).toBe(0);
  expect(g.rx_kernel_drops).toBe(0);
  expect(g.exchanges_per_s).toBeGreaterThan(0);
  expect(g.latency_us.p50).toBeGreaterThan(0);
  expect(g.latency_us.p50).toBeLessThanOrEqual(g.latency_us.p99);
  expect(g.latency_us.p99).toBeLessThanOrEqual(g.latency_us.max);
}

describeLab(
  'bench harness (smoke, onlinkd only)',
  () => {
    let lab: Lab | undefined;
    let server: OnlinkdServer | undefined;

    beforeAll(async () => {
      assertBuilt();
      ensureGenerator();
      lab = await singleVmLab();
      server = await startOnlinkd(lab, [SINGLE]);
    });

    afterAll(async () => {
      await server?.stop().catch(() => undefined);
      await lab?.destroy();
    });

    it('reports READY with the binding attached', () => {
      expect(server!.readyStatus).toMatch(/serving 1 of 1 binding/);
      expect(server!.readyMs).toBeGreaterThan(0);
    });

    for (const ex of ['dora', 'rs', 'ns', 'ir'] as Exchange[]) {
      it(`${ex}: ${N} exchanges, window 16, all answered, server CPU and RSS read`, async () => {
        const r = await measure(lab!, lab!.vm(SINGLE.tap).ns, server!, SINGLE, ex, run, 1, { count: N });
        expectAllAnswered(r.gen);
        if (ex === 'dora') expect(r.gen.offers).toBe(N); // each exchange is two round trips
        if (ex === 'ir') expect(r.gen.ns_answered).toBeLessThanOrEqual(5); // onlinkd needs no neighbour resolution
        expect(r.cpuS).toBeGreaterThanOrEqual(0);
        expect(r.memory[0]!.rssKb).toBeGreaterThan(10_000);
        expect(r.memory[0]!.hwmKb).toBeGreaterThanOrEqual(r.memory[0]!.rssKb);
      });
    }

    it(`solicit: ${N} stateful exchanges (Solicit→Advertise, Request→Reply) on a MODE6=dhcpv6 binding, all answered`, async () => {
      // Its own binding (bindingFor), so its own lab and server, as the comparison runs it.
      const b = bindingFor('solicit', SINGLE);
      const own = await singleVmLab();
      const srv = await startOnlinkd(own, [b]).catch(async (e: unknown) => {
        await own.destroy();
        throw e;
      });
      try {
        const r = await measure(own, own.vm(b.tap).ns, srv, b, 'solicit', run, 1, { count: N });
        expectAllAnswered(r.gen);
        expect(r.gen.offers).toBe(N); // each exchange is two round trips, each Advertise carried the address
        expect(r.gen.naks).toBe(0);
      } finally {
        await srv.stop().catch(() => undefined);
        await own.destroy();
      }
    });

    it('pingpong and flood modes: counts consistent', async () => {
      const ping = await measure(lab!, lab!.vm(SINGLE.tap).ns, server!, SINGLE, 'ns', { ...run, mode: 'pingpong' }, 1, { count: N });
      expectAllAnswered(ping.gen);
      expect(ping.window).toBe(1);
      const flood = await measure(lab!, lab!.vm(SINGLE.tap).ns, server!, SINGLE, 'ir', { ...run, mode: 'flood' }, 1, { count: N, rate: 5_000 });
      expectAllAnswered(flood.gen);
    });

    it('binding-add over the control socket (when the daemon has one)', async () => {
      const r = await benchBindingAdd({ socketPath: server!.controlSocket, count: 200, connections: 2, pipeline: 8 });
      if (r.status === 'not-yet') return; // reported by `npm run bench`
      expect(r.errors).toBe(0);
      expect(r.ok).toBe(200);
    });

    it('multi-tap lab: DORA on random taps and RS within each tap’s allowance', async () => {
      const taps = 24;
      const s = await scaleLab(taps, () => undefined);
      let multi: OnlinkdServer | undefined;
      try {
        multi = await startOnlinkd(s.lab, s.bindings);
        expect(multi.readyStatus).toMatch(new RegExp(`serving ${taps} of ${taps}`));
        const dora = await measure(s.lab, s.vmNs, multi, s.bindings[0]!, 'dora', run, 1, { count: N, interfaceFile: s.ifFile, pick: 'random', seed: 3 });
        expectAllAnswered(dora.gen);
        expect(dora.gen.interfaces).toBe(taps);
        await new Promise((r) => setTimeout(r, 3_200)); // initial RA bursts over, RS allowances full
        const rs = await measure(s.lab, s.vmNs, multi, s.bindings[0]!, 'rs', run, 1, { count: 3 * taps, interfaceFile: s.ifFile, pick: 'rr', raUnicastOnly: true });
        expectAllAnswered(rs.gen, 3 * taps);
      } finally {
        await multi?.stop().catch(() => undefined);
        await s.lab.destroy();
      }
    });
  },
  { binaries: ['ip', 'sysctl', 'ss', 'sh', 'cc'] },
);
