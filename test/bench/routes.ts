/**
 * Routed hypervisor: N bindings (1,000; issue 15, "1,000 bindings with
 * `manage = yes` are installed in under 1 s and removed cleanly").
 *
 * A hypervisor namespace with N taps (test/e2e/routed-taps.ts: tuntap, up)
 * and onlinkd with `[routing] manage = yes`, each binding wanting EUI64/128
 * and IP6/128, the first 508 also IP/32 (documentation addresses only:
 * routed-taps.ts). Each figure runs from the moment the bindings are given (or
 * taken) until `ip route show proto 183` lists every route (or none), polled
 * back to back; a fresh lab and daemon per round, medians over rounds:
 *  - start: spawn of onlinkd with N binding files present → READY=1, and
 *    → all its routes in the kernel;
 *  - the N files deleted → every route gone;
 *  - N `binding-add` to the running daemon (4 connections with 16 requests
 *    in flight each, as many hooks at once would: bench/control.ts's client)
 *    → all routes in the kernel (and when the last add was acknowledged);
 *  - N `binding-del` → every route gone.
 * Each round also checks every route is there exactly once and onlinkd
 * logged no error.
 *
 * `npm run bench -- routes [--bindings N] [--rounds R] [--no-write]` runs
 * this alone and rewrites only its section of BENCHMARKS.md; the full
 * `npm run bench` includes it (`--routes 0` skips it).
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab } from '../e2e/lab.js';
import { addRoutedTaps, controlEach, ourRouteLines, routedBindingArgs, routedBindingFile, routedVm, ROUTED_IPV4_VMS, waitRouteCount, wantedRouteLines } from '../e2e/routed-taps.js';
import { ROOT } from './generator.js';
import { machine } from './report.js';
import { startOnlinkd } from './servers.js';

const WAIT_MS = 30_000;

export interface RoutesRound {
  startToReadyMs: number;
  startToRoutesMs: number;
  filesDeletedToGoneMs: number;
  addsAckedMs: number;
  addsToRoutesMs: number;
  delsToGoneMs: number;
  /** Lines at level error or fatal in onlinkd's log. */
  errors: number;
}

export interface RoutesResult {
  bindings: number;
  routes: number;
  date: string;
  /** 1-minute load average before and after (a shared machine makes the figures noisy). */
  load: [number, number];
  rounds: RoutesRound[];
  median: RoutesRound;
}

export async function runRoutes(o: { bindings: number; rounds: number; log: (l: string) => void }): Promise<RoutesResult> {
  const vms = Array.from({ length: o.bindings }, (_, i) => routedVm(i));
  const wanted = wantedRouteLines(vms);
  const rounds: RoutesRound[] = [];
  const date = new Date().toISOString();
  const loadBefore = os.loadavg()[0]!;
  for (let r = 0; r < o.rounds; r++) {
    const lab = await Lab.create();
    try {
      await addRoutedTaps(lab, vms);
      const datapath = lab.path('onlinkd', 'bindings');
      mkdirSync(datapath, { recursive: true });
      for (const v of vms) writeFileSync(join(datapath, v.tap), routedBindingFile(v));
      const exact = async (what: string): Promise<void> => {
        const lines = await ourRouteLines(lab);
        if (lines.join('\n') !== wanted.join('\n')) throw new Error(`bench routes: after ${what}, the kernel's proto 183 routes are not the ${wanted.length} wanted, each once (${lines.length} listed)`);
      };
      // As deployed: not pinned (the kernel inserts each route in the sender's system call).
      let t0 = Date.now();
      const server = await startOnlinkd(lab, [], { extraConfig: '[routing]\nmanage = yes', pin: false });
      try {
        const startToRoutesMs = await waitRouteCount(lab, wanted.length, t0, WAIT_MS);
        await exact('start');
        t0 = Date.now();
        for (const v of vms) unlinkSync(join(datapath, v.tap));
        const filesDeletedToGoneMs = await waitRouteCount(lab, 0, t0, WAIT_MS);
        t0 = Date.now();
        await controlEach(server.controlSocket, 'binding-add', vms.map(routedBindingArgs));
        const addsAckedMs = Date.now() - t0;
        const addsToRoutesMs = await waitRouteCount(lab, wanted.length, t0, WAIT_MS);
        await exact('binding-add');
        t0 = Date.now();
        await controlEach(server.controlSocket, 'binding-del', vms.map((v) => ({ tap: v.tap })));
        const delsToGoneMs = await waitRouteCount(lab, 0, t0, WAIT_MS);
        const errors = readFileSync(server.log, 'utf8').split('\n').filter((l) => /"level":"(error|fatal)"/.test(l)).length;
        const round = { startToReadyMs: server.readyMs, startToRoutesMs, filesDeletedToGoneMs, addsAckedMs, addsToRoutesMs, delsToGoneMs, errors };
        o.log(`routes round ${r + 1}/${o.rounds}: ${JSON.stringify(round)}`);
        rounds.push(round);
      } finally {
        await server.stop();
      }
    } finally {
      await lab.destroy();
    }
  }
  const med = (k: keyof RoutesRound): number => {
    const s = rounds.map((x) => x[k]).sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)]!;
  };
  const keys = Object.keys(rounds[0]!) as Array<keyof RoutesRound>;
  const median = Object.fromEntries(keys.map((k) => [k, med(k)])) as unknown as RoutesRound;
  median.errors = Math.max(...rounds.map((x) => x.errors));
  return { bindings: o.bindings, routes: wanted.length, date, load: [loadBefore, os.loadavg()[0]!], rounds, median };
}

const BEGIN = '<!-- bench-routes:begin -->';
const END = '<!-- bench-routes:end -->';

/** The BENCHMARKS.md section (between markers, so `npm run bench -- routes` can rewrite it alone). */
export function routesSection(x: RoutesResult, raw?: string): string {
  const m = machine();
  const n = x.bindings.toLocaleString('en');
  const all = (k: keyof RoutesRound): string => `${x.median[k]} ms (${x.rounds.map((r) => r[k]).join(' / ')})`;
  const met = (ms: number): string => `${ms < 1000 ? 'met' : 'not met'} (${ms} ms)`;
  // The documentation /24s hold IPv4 addresses for the first ROUTED_IPV4_VMS bindings only.
  const v4 = Math.min(x.bindings, ROUTED_IPV4_VMS);
  const wants = v4 === x.bindings ? 'EUI64/128, IP6/128 and IP/32' : `EUI64/128 and IP6/128, the first ${v4.toLocaleString('en')} also IP/32`;
  return [
    BEGIN,
    `### Routed hypervisor: ${n} bindings`,
    '',
    `\`npm run bench -- routes\` (test/bench/routes.ts) on ${x.date.slice(0, 10)}, ${m.cpus} × ${m.cpu}, Linux ${m.kernel}, node ${m.node}:`,
    `a hypervisor namespace with ${n} taps (tuntap, up) and onlinkd (\`[routing] manage = yes\`, log level warn, not pinned);`,
    `each binding wants ${wants} (${x.routes.toLocaleString('en')} routes). Times from the moment the bindings are given until`,
    `\`ip route show proto 183\` lists every route (each exactly once) or none, polled back to back; a fresh lab per round,`,
    `median of ${x.rounds.length} rounds (each round's figure in parentheses); load average ${x.load[0].toFixed(2)} before, ${x.load[1].toFixed(2)} after${raw ? `; raw figures in \`${raw}\`` : ''}.`,
    '',
    '| figure | median (rounds) |',
    '|---|---|',
    `| start with ${n} binding files → READY=1 | ${all('startToReadyMs')} |`,
    `| start with ${n} binding files → ${x.routes.toLocaleString('en')} routes in the kernel | ${all('startToRoutesMs')} |`,
    `| the ${n} files deleted → every route gone | ${all('filesDeletedToGoneMs')} |`,
    `| ${n} \`binding-add\` (4 connections × 16 in flight) → the last acknowledged | ${all('addsAckedMs')} |`,
    `| ${n} \`binding-add\` → ${x.routes.toLocaleString('en')} routes in the kernel | ${all('addsToRoutesMs')} |`,
    `| ${n} \`binding-del\` → every route gone | ${all('delsToGoneMs')} |`,
    `| errors logged by onlinkd | ${x.median.errors} |`,
    `| goal: ${n} bindings installed in under 1 s | at start: ${met(x.median.startToRoutesMs)}; by \`binding-add\`: ${met(x.median.addsToRoutesMs)} |`,
    END,
  ].join('\n');
}

/** Replaces the routes section of a BENCHMARKS.md text, or adds it where the full run puts it (before the goals, else before "What limits onlinkd here"). */
export function withRoutesSection(md: string, section: string): string {
  const b = md.indexOf(BEGIN);
  const e = md.indexOf(END);
  if (b >= 0 && e > b) return md.slice(0, b) + section + md.slice(e + END.length);
  const at = [md.indexOf('\n### Issue 5 goals'), md.indexOf('\n## What limits onlinkd here')].find((i) => i >= 0);
  return at === undefined ? `${md.trimEnd()}\n\n${section}\n` : `${md.slice(0, at)}\n${section}\n${md.slice(at)}`;
}

async function main(): Promise<void> {
  const { values: f } = parseArgs({ options: { bindings: { type: 'string' }, rounds: { type: 'string' }, 'no-write': { type: 'boolean' } }, strict: true });
  const x = await runRoutes({ bindings: Number(f.bindings ?? 1000), rounds: Number(f.rounds ?? 3), log: (l) => process.stdout.write(`${l}\n`) });
  const raw = `test/bench/results/routes-${x.date.replace(/[:.]/g, '-')}.json`;
  const section = routesSection(x, f['no-write'] ? undefined : raw);
  process.stdout.write(`\n${section}\n`);
  if (f['no-write']) return;
  mkdirSync(join(ROOT, 'test/bench/results'), { recursive: true });
  const json = join(ROOT, raw);
  writeFileSync(json, JSON.stringify({ machine: machine(), ...x }, null, 1) + '\n');
  const md = join(ROOT, 'BENCHMARKS.md');
  writeFileSync(md, withRoutesSection(existsSync(md) ? readFileSync(md, 'utf8') : '# Benchmarks\n', section));
  process.stdout.write(`bench: wrote ${json} and the routes section of BENCHMARKS.md\n`);
}

if (process.argv[1] && basename(process.argv[1]) === 'routes.js') {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
