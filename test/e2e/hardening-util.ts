/**
 * Shared pieces of the hardening suites (issue 6, items 2-4): the flooder
 * (tools/olkflood.c, compiled on demand with the system cc), /proc readings
 * of the daemon, dual-stack binding files, percentiles, and the knobs that
 * switch between the short form (npm test) and the long one
 * (HARDENING_LONG=1, scripts/hardening-long.sh).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCTool } from '../helpers/compile-tool.js';
import type { Lab, NsRef } from './lab.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** HARDENING_LONG=1: the long forms (10 s flood, 1000 churn cycles, more crash rounds). */
export const LONG = process.env.HARDENING_LONG === '1';

/** A knob: HARDENING_<NAME> from the environment, else the long or the short default. */
export function knob(name: string, short: number, long: number): number {
  const v = Number(process.env[`HARDENING_${name}`]);
  return Number.isFinite(v) && v > 0 ? v : LONG ? long : short;
}

/** Compiles test/e2e/tools/<name>.c into build/e2e/<name> when missing or stale; throws with the compiler's message. */
export function ensureTool(name: 'olkflood' | 'olkprobe'): string {
  return compileCTool({
    source: join(ROOT, `test/e2e/tools/${name}.c`),
    headers: [join(ROOT, 'test/tools/olkwire.h')],
    bin: join(ROOT, `build/e2e/${name}`),
  });
}

export function ensureFlooder(): string {
  return ensureTool('olkflood');
}

export interface FloodResult {
  sent: number;
  send_errors: number;
  enobufs: number;
  last_error: string;
  elapsed_s: number;
  pps: number;
  by_kind: Record<string, number>;
}

export interface FloodOptions {
  durationS: number;
  /** Frames/s; 0 or undefined: as fast as the flooder can. */
  rate?: number;
  nsTarget?: string;
  arpTarget?: string;
}

/** Runs olkflood in a VM namespace; resolves with its JSON summary (bounded). */
export async function flood(lab: Lab, vm: NsRef, o: FloodOptions): Promise<FloodResult> {
  const argv = [ensureTool('olkflood'), '--duration', String(o.durationS)];
  if (o.rate) argv.push('--rate', String(o.rate));
  if (o.nsTarget) argv.push('--ns-target', o.nsTarget);
  if (o.arpTarget) argv.push('--arp-target', o.arpTarget);
  const r = await lab.exec(vm, argv, { timeoutMs: o.durationS * 1000 + 10_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.code !== 0 || !line) throw new Error(`olkflood failed (code ${r.code}, timed out ${r.timedOut}): ${r.stderr}`);
  return JSON.parse(line) as FloodResult;
}

export interface ProbeAnswer {
  mac: string;
  answered: boolean;
  latency_us?: number;
  /** dhcp: the OFFER's yiaddr. */
  yiaddr?: string;
  /** dhcp: the OFFER's option 12 (printable ASCII; '"', '\\' and others as '?'). */
  hostname?: string;
  /** rs: the RA's first prefix, `2001:db8:1::/64`. */
  prefix?: string;
  server_mac?: string;
}

/**
 * One DISCOVER (or RS) from each MAC, in order, from the VM's eth0; which
 * were answered and with what (tools/olkprobe.c). Bounded by timeoutMs.
 */
export async function probe(lab: Lab, vm: NsRef, kind: 'dhcp' | 'rs', macs: readonly string[], timeoutMs = 1000): Promise<ProbeAnswer[]> {
  const argv = [ensureTool('olkprobe'), '--kind', kind, '--timeout-ms', String(timeoutMs), ...macs.flatMap((m) => ['--mac', m])];
  const r = await lab.exec(vm, argv, { timeoutMs: timeoutMs + 5_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.code !== 0 || !line) throw new Error(`olkprobe failed (code ${r.code}, timed out ${r.timedOut}): ${r.stderr}`);
  return (JSON.parse(line) as { answers: ProbeAnswer[] }).answers;
}

// ---------------------------------------------------------------------------
// /proc

let clkTck: number | undefined;

function clockTicks(): number {
  clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return clkTck;
}

/** CPU seconds (utime + stime, all threads) used so far by `pid`. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clockTicks();
}

/** uid and gid of `nobody` (Debian), the user the unprivileged suites run onlinkd as. */
export const NOBODY = 65534;

/** A field of /proc/PID/status, or of /proc/PID/task/TID/status (the text after the colon, trimmed). */
export function procStatus(pid: number, key: string, tid?: number | string): string | undefined {
  const status = readFileSync(tid === undefined ? `/proc/${pid}/status` : `/proc/${pid}/task/${tid}/status`, 'utf8');
  return new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
}

/** Resident set size in KiB (VmRSS). */
export function rssKb(pid: number): number {
  return Number(/^(\d+)/.exec(procStatus(pid, 'VmRSS') ?? '')?.[1] ?? NaN);
}

/** Peak resident set size in KiB (VmHWM). */
export function hwmKb(pid: number): number {
  return Number(/^(\d+)/.exec(procStatus(pid, 'VmHWM') ?? '')?.[1] ?? NaN);
}

// ---------------------------------------------------------------------------
// Bindings and numbers

/** A dual-stack binding file for VM number `n` (tap<n>, aa:00:00:00:00:<n>, 203.0.113.<n>, 2001:db8:<n>::/64). */
export function dualStackBinding(n: number, mac = `aa:00:00:00:00:${String(n).padStart(2, '0')}`): string {
  return [
    `MAC=${mac}`,
    `IP=203.0.113.${n}`,
    'SUBNET=203.0.113.0/24',
    'GATEWAY=203.0.113.1',
    `SUBNET6=2001:db8:${n}::/64`,
    `GATEWAY6=2001:db8:${n}::1`,
    `HOSTNAME=vm${n}`,
  ].join('\n') + '\n';
}

/** Nearest-rank percentiles of a list of numbers (any order). */
export function percentiles(values: readonly number[], ps: readonly number[] = [50, 90, 99]): Record<string, number> {
  const s = [...values].sort((a, b) => a - b);
  const out: Record<string, number> = { n: s.length };
  if (s.length === 0) return out;
  for (const p of ps) out[`p${p}`] = s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  out.max = s[s.length - 1]!;
  return out;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
