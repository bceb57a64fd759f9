/**
 * The load generator (olkgen.c): compiled on demand with the system cc, run
 * inside a lab namespace, its one-line JSON result parsed.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab, NsRef } from '../e2e/lab.js';
import { compileCTool } from '../helpers/compile-tool.js';
import { cpuPlacement } from './procstat.js';

/** The repository root, from test/bench (vitest) or node_modules/.cache/onlinkd-bench/js/test/bench (compiled). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test/bench/olkgen.c'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('bench: cannot find the repository root');
}

export const ROOT = findRoot();
export const GENERATOR_SOURCE = join(ROOT, 'test/bench/olkgen.c');
export const GENERATOR = join(ROOT, 'node_modules/.cache/onlinkd-bench/olkgen');

/** What olkgen itself knows. */
export type GenExchange = 'dora' | 'rs' | 'ns' | 'ir' | 'solicit';
/**
 * The exchanges a bench measures: olkgen's, and `dora-options`, a DORA
 * against a binding with five extra DHCPv4 options (servers.ts
 * BENCH_OPTIONS; issue 13: the reply templates must keep applying).
 * `solicit` (issue 14) is stateful DHCPv6 against a binding with
 * MODE6=dhcpv6 and IP6 (servers.ts bindingFor).
 */
export type Exchange = GenExchange | 'dora-options';
export const EXCHANGES: readonly Exchange[] = ['dora', 'dora-options', 'rs', 'ns', 'ir', 'solicit'];
/** Exchanges measured against a binding of their own (bindingFor), so with a server of their own. */
export const OWN_BINDING: readonly Exchange[] = ['dora-options', 'solicit'];
/** What olkgen sends for an exchange. */
export const genExchange = (e: Exchange): GenExchange => (e === 'dora-options' ? 'dora' : e);
export type GenMode = 'window' | 'pingpong' | 'flood' | 'listen';

export interface GenOptions {
  exchange: Exchange;
  mode?: GenMode;
  window?: number;
  /** Exchanges started per second at most (0: unlimited). */
  rate?: number;
  durationS?: number;
  warmupS?: number;
  timeoutS?: number;
  /** Interfaces in the namespace; each `name` or `name,ns-target`. Default eth0. */
  interfaces?: string[];
  /** A file of `name [ns-target]` lines (for thousands of interfaces). */
  interfaceFile?: string;
  pick?: 'rr' | 'random';
  nsTarget?: string;
  /** Never take a multicast RA as the answer to an RS (periodic RAs are multicast). */
  raUnicastOnly?: boolean;
  bucketMs?: number;
  seed?: number;
  /** Stop after this many exchanges; the rate is then over the time to the last answer. */
  count?: number;
  /** Spin instead of sleeping in poll() (no wake-up per answer, but a whole CPU). BENCH_GEN_BUSY=1. */
  busy?: boolean;
  /** Run the generator on this CPU only (taskset); default: see cpuPlacement() in servers.ts. */
  cpu?: number;
}

export interface LatencyUs {
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface GenResult {
  /** The generator's own CPU time (user + system), seconds: near elapsed_s means it was the bottleneck. */
  generator_cpu_s: number;
  generator_user_s: number;
  exchange: Exchange;
  mode: string;
  window: number;
  rate: number;
  interfaces: number;
  duration_s: number;
  elapsed_s: number;
  started: number;
  completed: number;
  lost: number;
  started_all: number;
  completed_all: number;
  late: number;
  ignored: number;
  offers: number;
  naks: number;
  /** NS for the VM's link-local answered by the generator (the server resolving it). */
  ns_answered: number;
  rx_frames: number;
  send_errors: number;
  send_eagain: number;
  last_send_error: string;
  rx_kernel_packets: number;
  rx_kernel_drops: number;
  exchanges_per_s: number;
  loss: number;
  latency_us: LatencyUs;
  ra_multicast: { bucket_ms: number; total: number; max_per_bucket: number; interfaces_with_ra: number; series: number[] };
}

/** Compiles olkgen when missing or older than its source (or the shared header). Returns its path. */
export function ensureGenerator(): string {
  return compileCTool({ source: GENERATOR_SOURCE, headers: [join(ROOT, 'test/tools/olkwire.h')], bin: GENERATOR });
}

export function generatorArgs(o: GenOptions): string[] {
  const a = ['--exchange', genExchange(o.exchange)];
  if (o.mode) a.push('--mode', o.mode);
  if (o.window !== undefined && o.mode !== 'pingpong') a.push('--window', String(o.window));
  if (o.rate) a.push('--rate', String(o.rate));
  if (o.durationS !== undefined) a.push('--duration', String(o.durationS));
  if (o.warmupS !== undefined) a.push('--warmup', String(o.warmupS));
  if (o.timeoutS !== undefined) a.push('--timeout', String(o.timeoutS));
  for (const i of o.interfaces ?? []) a.push('--if', i);
  if (o.interfaceFile) a.push('--if-file', o.interfaceFile);
  if (o.pick) a.push('--pick', o.pick);
  if (o.nsTarget) a.push('--ns-target', o.nsTarget);
  if (o.raUnicastOnly) a.push('--ra-unicast-only');
  if (o.bucketMs) a.push('--bucket-ms', String(o.bucketMs));
  if (o.seed !== undefined) a.push('--seed', String(o.seed));
  if (o.count) a.push('--count', String(o.count));
  if (o.busy ?? process.env.BENCH_GEN_BUSY === '1') a.push('--busy');
  return a;
}

export interface RunningGenerator {
  pid: number;
  result: Promise<GenResult>;
}

/** Starts olkgen in `ns`; `result` resolves with its JSON (rejects on failure or after a bounded wait). */
export function startGenerator(lab: Lab, ns: NsRef, o: GenOptions): RunningGenerator {
  const bin = ensureGenerator();
  const cpu = o.cpu ?? cpuPlacement()?.generator;
  const argv = [...(cpu !== undefined ? ['taskset', '-c', String(cpu)] : []), bin, ...generatorArgs(o)];
  const p = lab.spawn(ns, argv);
  const boundMs = ((o.warmupS ?? 0.5) + (o.durationS ?? 5) + (o.timeoutS ?? 1)) * 1000 + 15_000;
  const result = (async () => {
    const st = await p.waitExit(boundMs);
    if (!st) {
      await p.kill(1_000);
      throw new Error(`bench: olkgen ${argv.slice(1).join(' ')} did not finish in ${boundMs} ms`);
    }
    const line = p.stdoutLines.find((l) => l.startsWith('{'));
    if (st.code !== 0 || !line) {
      throw new Error(`bench: olkgen ${argv.slice(1).join(' ')} failed (code ${st.code}): ${p.stderr.trim()}`);
    }
    return JSON.parse(line) as GenResult;
  })();
  return { pid: p.pid, result };
}

export async function runGenerator(lab: Lab, ns: NsRef, o: GenOptions): Promise<GenResult> {
  return startGenerator(lab, ns, o).result;
}

export const REPO_ROOT = resolve(ROOT);
