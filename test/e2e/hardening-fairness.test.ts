/**
 * Hardening, per-tap fairness (issue 6 item 2): one guest floods everything
 * the BPF filter lets through (DHCPDISCOVER, RS, NS, DHCPv6 IR, ARP and junk)
 * as fast as its generator can, while two other guests keep configuring
 * themselves: one with precise probes (olkgen, one exchange at a time, DORA,
 * RS, NS and Information-Request), one with the real clients (udhcpc,
 * rdisc6, dhclient -6 -S) in a loop. Every one of their exchanges must
 * succeed, with the flood and without; the flooder is rate-limited and
 * counted; latency percentiles, the daemon's CPU and RSS and the kernel's
 * drop counters are printed as one JSON summary.
 *
 * Short form: 5 s per phase. Long form: HARDENING_LONG=1 (10 s), or
 * HARDENING_FLOOD_S=N.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { startGenerator, type Exchange, type GenResult } from '../bench/generator.js';
import { dhclient6Inform, rdisc6, udhcpc } from './clients.js';
import { Lab, describeLab, sleep } from './lab.js';
import { Onlinkd } from './onlinkd.js';
import { cpuSeconds, dualStackBinding, ensureFlooder, flood, hwmKb, knob, percentiles, round, rssKb, type FloodResult } from './hardening-util.js';

const FLOOD_S = knob('FLOOD_S', 5, 10);

const CONFIG = `[ipv6]
nameservers = 2001:db8::53
domains = example.org
`;

const FLOODER = { tap: 'tap60', mac: 'aa:00:00:00:00:60' };
const PROBED = { tap: 'tap61', mac: 'aa:00:00:00:00:61' };
const CLIENTS = { tap: 'tap62', mac: 'aa:00:00:00:00:62' };

/** Probe rates per exchange kind (one exchange in flight each); RS stays under the per-tap RS limit (burst 3, 1/s). */
const PROBES: Array<{ exchange: Exchange; rate: number; nsTarget?: string; raUnicastOnly?: boolean }> = [
  { exchange: 'dora', rate: 10 },
  { exchange: 'rs', rate: 0.8, raUnicastOnly: true },
  { exchange: 'ns', rate: 5, nsTarget: '2001:db8:61::1' },
  { exchange: 'ir', rate: 5 },
];

interface ClientTally {
  attempts: number;
  ok: number;
  failures: string[];
  latencyMs: Record<string, number[]>;
}

interface Phase {
  probes: Record<string, GenResult>;
  clients: ClientTally;
  cpuS: number;
  wallS: number;
  flood?: FloodResult;
}

function pick(o: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));
}

describeLab('hardening: a flooding guest does not starve the others', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    ensureFlooder();
    lab = await Lab.create({ vms: [FLOODER, PROBED, CLIENTS] });
    d = new Onlinkd(lab);
    for (const n of [60, 61, 62]) d.writeBinding(`tap${n}`, dualStackBinding(n));
    await d.start(CONFIG);
    // The flooder and the probed VM must be past DAD before measuring.
    await Promise.all([lab.waitLinkLocal(FLOODER.tap), lab.waitLinkLocal(PROBED.tap), lab.waitLinkLocal(CLIENTS.tap)]);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  async function clientLoop(untilMs: number): Promise<ClientTally> {
    const t: ClientTally = { attempts: 0, ok: 0, failures: [], latencyMs: { udhcpc: [], rdisc6: [], dhclient6: [] } };
    const timed = async (name: string, fn: () => Promise<boolean>) => {
      const t0 = performance.now();
      t.attempts++;
      const ok = await fn();
      if (ok) {
        t.ok++;
        t.latencyMs[name]!.push(performance.now() - t0);
      } else t.failures.push(name);
    };
    while (Date.now() < untilMs) {
      await timed('udhcpc', async () => (await udhcpc(lab, CLIENTS.tap, { timeoutSec: 3 }))?.ip === '203.0.113.62');
      await timed('rdisc6', async () => (await rdisc6(lab, CLIENTS.tap, { retries: 3, waitMs: 1000 })).adverts.length > 0);
      await timed('dhclient6', async () => ((await dhclient6Inform(lab, CLIENTS.tap, { timeoutSec: 5 }))?.dns ?? []).includes('2001:db8::53'));
      // The RS limit is per tap (burst 3, then 1/s): a client loop faster than that measures the limit, not fairness.
      await sleep(1_000);
    }
    return t;
  }

  async function phase(withFlood: boolean): Promise<Phase> {
    const pid = d.process.pid;
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const floodRun = withFlood ? flood(lab, FLOODER.tap, { durationS: FLOOD_S + 1.5, nsTarget: '2001:db8:60::1', arpTarget: '203.0.113.1' }) : undefined;
    if (withFlood) await sleep(500); // the flood is at full rate before the first probe
    const gens = PROBES.map((p) => ({
      name: p.exchange,
      g: startGenerator(lab, PROBED.tap, {
        exchange: p.exchange,
        mode: 'pingpong',
        rate: p.rate,
        durationS: FLOOD_S,
        warmupS: 0,
        timeoutS: 2,
        ...(p.nsTarget ? { nsTarget: p.nsTarget } : {}),
        ...(p.raUnicastOnly ? { raUnicastOnly: true } : {}),
      }),
    }));
    const clients = clientLoop(Date.now() + FLOOD_S * 1000);
    const probes: Record<string, GenResult> = {};
    for (const { name, g } of gens) probes[name] = await g.result;
    const tally = await clients;
    const floodResult = await floodRun;
    return { probes, clients: tally, cpuS: cpuSeconds(pid) - cpu0, wallS: (performance.now() - t0) / 1000, ...(floodResult ? { flood: floodResult } : {}) };
  }

  function summary(p: Phase) {
    const probes = Object.fromEntries(
      Object.entries(p.probes).map(([k, g]) => [
        k,
        { started: g.started, completed: g.completed, lost: g.lost, latency_us: { p50: g.latency_us.p50, p90: g.latency_us.p90, p99: g.latency_us.p99, max: g.latency_us.max } },
      ]),
    );
    const clients = {
      attempts: p.clients.attempts,
      ok: p.clients.ok,
      failures: p.clients.failures,
      latency_ms: Object.fromEntries(Object.entries(p.clients.latencyMs).map(([k, v]) => [k, percentiles(v.map((x) => round(x)))])),
    };
    return { probes, clients, daemon_cpu_s: round(p.cpuS, 2), wall_s: round(p.wallS, 2), daemon_cpu_pct: round((100 * p.cpuS) / p.wallS) };
  }

  function expectAllAnswered(p: Phase, label: string): void {
    for (const [k, g] of Object.entries(p.probes)) {
      expect(g.started, `${label} ${k} started`).toBeGreaterThan(0);
      expect({ kind: k, lost: g.lost, completed: g.completed }, label).toEqual({ kind: k, lost: 0, completed: g.started });
    }
    expect(p.clients.failures, `${label} real clients`).toEqual([]);
    expect(p.clients.ok).toBeGreaterThan(0);
  }

  it(`every exchange of the other guests succeeds while one guest floods for ${FLOOD_S} s`, async () => {
    const pid = d.process.pid;
    const rss0 = rssKb(pid);
    const quiet = await phase(false);
    const statsBefore = await request(d.socketPath, 'statistic-get', {});
    const kernelBefore = (statsBefore.arguments as { global: { kernel: { packets: number; drops: number } } }).global.kernel;
    const rssQuiet = rssKb(pid);
    const flooded = await phase(true);
    const rssFlood = rssKb(pid);
    const statsAfter = await request(d.socketPath, 'statistic-get', {});
    const g = statsAfter.arguments as {
      global: { frames: number; kernel: { packets: number; drops: number } };
      taps: Record<string, { drops: Record<string, number>; requests: Record<string, number>; replies: Record<string, number> }>;
    };
    const floodTap = g.taps[FLOODER.tap]!;
    const out = {
      flood_s: FLOOD_S,
      without_flood: summary(quiet),
      with_flood: summary(flooded),
      flooder: {
        ...flooded.flood,
        rate_limited: floodTap.drops['rate-limited'] ?? 0,
        kernel_queue_drops: floodTap.drops['kernel-buffer-full'] ?? 0,
        answered: Object.values(floodTap.replies).reduce((a, b) => a + b, 0),
      },
      daemon: {
        rss_kb: { start: rss0, after_quiet: rssQuiet, after_flood: rssFlood, peak: hwmKb(pid) },
        frames_seen: g.global.frames,
        kernel: { before_flood: kernelBefore, after_flood: g.global.kernel },
      },
      other_taps_drops: { [PROBED.tap]: g.taps[PROBED.tap]?.drops, [CLIENTS.tap]: g.taps[CLIENTS.tap]?.drops },
    };
    console.log(`HARDENING_FAIRNESS ${JSON.stringify(out)}`);
    expectAllAnswered(quiet, 'without flood');
    expectAllAnswered(flooded, 'with flood');
    expect(out.flooder.rate_limited).toBeGreaterThan(0);
    // Every frame the kernel dropped was the flooder's, from its own queue.
    expect(out.flooder.kernel_queue_drops).toBe(g.global.kernel.drops - kernelBefore.drops);
    for (const t of [PROBED.tap, CLIENTS.tap]) {
      expect({ tap: t, ...pick(g.taps[t]?.drops ?? {}, ['rate-limited', 'kernel-buffer-full']) }).toEqual({ tap: t });
    }
    // Logged at a bounded rate: one line per tap per 10 s.
    const floodLines = d.logs().filter((l) => l.tap === FLOODER.tap && l.msg === 'guest exceeds the per-tap frame rate; excess frames dropped');
    expect(floodLines.length).toBeGreaterThanOrEqual(1);
    expect(floodLines.length).toBeLessThanOrEqual(Math.ceil((FLOOD_S + 3) / 10) + 1);
    expect(d.process.exitStatus).toBeUndefined();
  }, 120_000);
});
