/**
 * The side-by-side comparison: one VM on one tap, the same static binding,
 * each server in turn in a fresh lab, each exchange it supports, several
 * rounds (servers interleaved within a round so drift hits all alike).
 */
import { Lab } from '../e2e/lab.js';
import { OWN_BINDING, runGenerator, type Exchange, type GenMode, type GenOptions, type GenResult } from './generator.js';
import { cpuSeconds, machineUserSeconds, memory, userSeconds } from './procstat.js';
import { SINGLE, bindingFor, type Adapter, type BenchBinding, type RunningServer } from './servers.js';

export interface RunOptions {
  mode: GenMode;
  window: number;
  durationS: number;
  warmupS: number;
  timeoutS: number;
}

export interface ProcessMemory {
  role: string;
  rssKb: number;
  hwmKb: number;
}

export interface RunRecord {
  server: string;
  exchange: Exchange;
  round: number;
  mode: GenMode;
  window: number;
  gen: GenResult;
  /** Server CPU over the whole generator run (warm-up and drain included), seconds. */
  cpuS: number | undefined;
  wallS: number;
  /** Server CPU per answered exchange (all exchanges of the run), µs. */
  cpuUsPerExchange: number | undefined;
  /** The user-space part of it (the server's own code; the rest is the kernel's, sendto above all), µs. */
  userUsPerExchange: number | undefined;
  /** Server CPU as a share of one CPU over the run, %. */
  cpuPct: number | undefined;
  memory: ProcessMemory[];
  /**
   * User CPU of everything else on the machine during the run, as a share of
   * one CPU (%): machine user time minus the server's and the generator's.
   * Above a few % another workload was competing and the run is noisy.
   */
  foreignCpuPct: number | undefined;
}

export interface CompareOptions extends RunOptions {
  rounds: number;
  exchanges: readonly Exchange[];
  log: (line: string) => void;
}

/** Lab with one VM whose kernel stays quiet (the generator speaks for it). */
export async function singleVmLab(b: BenchBinding = SINGLE): Promise<Lab> {
  const lab = await Lab.create({ vms: [{ tap: b.tap, mac: b.mac, tapMac: 'fe:00:00:00:00:01' }] });
  try {
    // The VM's own kernel would answer, solicit and process RAs: only the generator speaks there.
    await lab.sysctl(b.tap, { 'net/ipv6/conf/eth0/disable_ipv6': 1, 'net/ipv6/conf/default/disable_ipv6': 1 });
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

export function serverMemory(server: RunningServer): ProcessMemory[] {
  const out: ProcessMemory[] = [];
  for (const { role, pid } of server.pids()) {
    const m = memory(pid);
    if (m) out.push({ role, ...m });
  }
  return out;
}

/** One generator run against a started server, with the server's CPU over it. */
export async function measure(
  lab: Lab,
  vmNs: string,
  server: RunningServer,
  b: BenchBinding,
  exchange: Exchange,
  o: RunOptions,
  round = 0,
  extra: Partial<GenOptions> = {},
): Promise<RunRecord> {
  const pid = server.pidFor(exchange);
  const c0 = pid === undefined ? undefined : cpuSeconds(pid);
  const u0 = pid === undefined ? 0 : userSeconds(pid) ?? 0;
  const m0 = machineUserSeconds();
  const t0 = process.hrtime.bigint();
  const gen = await runGenerator(lab, vmNs, {
    exchange,
    mode: o.mode,
    window: o.window,
    durationS: o.durationS,
    warmupS: o.warmupS,
    timeoutS: o.timeoutS,
    nsTarget: b.gateway6,
    // onlinkd answers an RS by unicast; its periodic/initial RAs (multicast) must not count as answers.
    raUnicastOnly: server.name.startsWith('onlinkd'),
    ...extra,
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = pid === undefined ? undefined : cpuSeconds(pid);
  const cpuS = c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined;
  const serverUser = pid === undefined ? 0 : (userSeconds(pid) ?? u0) - u0;
  const foreign = machineUserSeconds() - m0 - serverUser - (gen.generator_user_s ?? 0);
  return {
    server: server.name,
    exchange,
    round,
    mode: o.mode,
    window: o.mode === 'pingpong' ? 1 : o.window,
    gen,
    cpuS,
    wallS,
    cpuUsPerExchange: cpuS !== undefined && gen.completed_all > 0 ? (cpuS / gen.completed_all) * 1e6 : undefined,
    userUsPerExchange: pid !== undefined && gen.completed_all > 0 ? (serverUser / gen.completed_all) * 1e6 : undefined,
    cpuPct: cpuS !== undefined ? (cpuS / gen.elapsed_s) * 100 : undefined,
    memory: serverMemory(server),
    foreignCpuPct: Math.max(0, (foreign / wallS) * 100),
  };
}

export function describeRun(r: RunRecord): string {
  const g = r.gen;
  const cpu = r.cpuUsPerExchange !== undefined ? ` cpu ${r.cpuUsPerExchange.toFixed(1)} µs/x (${r.cpuPct!.toFixed(0)}%)` : '';
  const genPct = g.elapsed_s > 0 ? ` gen ${((g.generator_cpu_s / g.elapsed_s) * 100).toFixed(0)}%` : '';
  const foreign = r.foreignCpuPct !== undefined && r.foreignCpuPct >= 5 ? ` OTHER LOAD ${r.foreignCpuPct.toFixed(0)}%` : '';
  return (
    `${r.server.padEnd(14)} ${r.exchange.padEnd(7)} r${r.round} ${Math.round(g.exchanges_per_s).toString().padStart(7)}/s ` +
    `loss ${(g.loss * 100).toFixed(2)}% p50 ${g.latency_us.p50.toFixed(0)} p99 ${g.latency_us.p99.toFixed(0)} max ${g.latency_us.max.toFixed(0)} µs${cpu}${genPct}${foreign}`
  );
}

/** Runs every adapter's exchanges, `rounds` times. */
export async function runComparison(adapters: readonly Adapter[], o: CompareOptions): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    // Rotate the order each round so no server always runs first (cold caches) or last.
    const order = adapters.map((_, i) => adapters[(i + round - 1) % adapters.length]!);
    for (const adapter of order) {
      const exchanges = adapter.exchanges.filter((e) => o.exchanges.includes(e));
      // dora-options and solicit need their own binding (bindingFor): a server each, right after the plain ones.
      for (const group of [exchanges.filter((e) => !OWN_BINDING.includes(e)), ...exchanges.filter((e) => OWN_BINDING.includes(e)).map((e) => [e])]) {
        if (group.length === 0) continue;
        const b = bindingFor(group[0]!, SINGLE);
        const lab = await singleVmLab();
        let server: RunningServer | undefined;
        try {
          server = await adapter.start(lab, [b]);
          for (const ex of group) {
            const r = await measure(lab, lab.vm(b.tap).ns, server, b, ex, o, round);
            r.server = adapter.name;
            records.push(r);
            o.log(describeRun(r));
          }
        } catch (e) {
          const why = server ? `\n--- ${adapter.name} log\n${server.logTail()}` : '';
          throw new Error(`${(e as Error).message}${why}`);
        } finally {
          await server?.stop().catch(() => undefined);
          await lab.destroy();
        }
      }
    }
  }
  return records;
}
