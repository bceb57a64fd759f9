/**
 * A server's cost from /proc: CPU time (utime + stime of every thread, in
 * clock ticks) and memory (VmRSS now, VmHWM the peak).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

let clkTck: number | undefined;

/** sysconf(_SC_CLK_TCK), 100 on Linux in practice. */
export function clockTicks(): number {
  if (clkTck === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clkTck = Number(r.stdout.trim()) || 100;
  }
  return clkTck;
}

/** CPU seconds used so far by a process (all threads), or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // pid (comm) state ...: fields after the last ')' start at field 3; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clockTicks();
}

/** User CPU seconds of a process (all threads). */
export function userSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[11]) / clockTicks();
  } catch {
    return undefined;
  }
}

/** User + nice CPU seconds of the whole machine (every CPU), from /proc/stat. */
export function machineUserSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!; // cpu  user nice system idle ...
  const f = line.trim().split(/\s+/);
  return (Number(f[1]) + Number(f[2])) / clockTicks();
}

export interface Memory {
  rssKb: number;
  hwmKb: number;
}

export function memory(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** CPU used by `pid` while `fn` runs, with the wall time. */
export async function measureCpu<T>(pid: number | undefined, fn: () => Promise<T>): Promise<{ value: T; cpuS: number | undefined; wallS: number }> {
  const c0 = pid === undefined ? undefined : cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = pid === undefined ? undefined : cpuSeconds(pid);
  return { value, cpuS: c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined, wallS };
}

/**
 * CPU placement. On a small machine the scheduler's wake-affine logic puts
 * the server and the generator, which wake each other for every exchange, on
 * the same CPU about half the time, and the figures of a run then depend on
 * where it landed (measured: dnsmasq 30k or 46k DORA/s). So by default the
 * servers get CPU 0 (every thread) and the generator the last CPU; set
 * BENCH_PIN=0 to let the scheduler decide.
 */
export function cpuPlacement(): { server: string; generator: number } | undefined {
  const n = os.cpus().length;
  if (process.env.BENCH_PIN === '0' || n < 2) return undefined;
  return { server: process.env.BENCH_SERVER_CPUS ?? '0', generator: Number(process.env.BENCH_GEN_CPU ?? n - 1) };
}

