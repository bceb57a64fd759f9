/**
 * Medians over rounds, the console table, the JSON record and BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { RunRecord } from './compare.js';
import { EXCHANGES, type Exchange } from './generator.js';
import type { ScaleResult } from './scale.js';

export const EXCHANGE_LABEL: Record<Exchange, string> = {
  dora: 'DHCPv4 DISCOVER→OFFER→REQUEST→ACK',
  'dora-options': 'DHCPv4 DORA, binding with five extra options',
  rs: 'RS → RA',
  ns: 'NS → NA',
  ir: 'DHCPv6 Information-Request → Reply',
  solicit: 'DHCPv6 Solicit→Advertise→Request→Reply (IA_NA)',
};

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Summary {
  server: string;
  exchange: Exchange;
  mode: string;
  window: number;
  rounds: number;
  exchangesPerS: number;
  /** Each round's rate, for the spread. */
  perRound: number[];
  loss: number;
  maxLoss: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  cpuUsPerExchange: number | undefined;
  userUsPerExchange: number | undefined;
  cpuPct: number | undefined;
  /** Largest RSS / peak RSS seen over the rounds (kB), summed over the server's processes. */
  rssKb: number | undefined;
  hwmKb: number | undefined;
}

export function summarize(records: readonly RunRecord[]): Summary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const k = `${r.server}\0${r.exchange}\0${r.mode}\0${r.window}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: Summary[] = [];
  for (const rs of groups.values()) {
    const r0 = rs[0]!;
    const cpu = rs.map((r) => r.cpuUsPerExchange).filter((x): x is number => x !== undefined);
    const user = rs.map((r) => r.userUsPerExchange).filter((x): x is number => x !== undefined);
    const pct = rs.map((r) => r.cpuPct).filter((x): x is number => x !== undefined);
    // Memory of the process that served this exchange (Kea: dhcp4 for DORA, dhcp6 for IR and Solicit).
    const role = (r: RunRecord) => r.memory.filter((m) => !(r.server === 'kea' && m.role !== (r.exchange === 'ir' || r.exchange === 'solicit' ? 'kea-dhcp6' : 'kea-dhcp4')));
    const rss = rs.map((r) => role(r).reduce((a, m) => a + m.rssKb, 0)).filter((x) => x > 0);
    const hwm = rs.map((r) => role(r).reduce((a, m) => a + m.hwmKb, 0)).filter((x) => x > 0);
    out.push({
      server: r0.server,
      exchange: r0.exchange,
      mode: r0.mode,
      window: r0.window,
      rounds: rs.length,
      exchangesPerS: median(rs.map((r) => r.gen.exchanges_per_s)),
      perRound: rs.map((r) => Math.round(r.gen.exchanges_per_s)),
      loss: median(rs.map((r) => r.gen.loss)),
      maxLoss: Math.max(...rs.map((r) => r.gen.loss)),
      p50: median(rs.map((r) => r.gen.latency_us.p50)),
      p90: median(rs.map((r) => r.gen.latency_us.p90)),
      p99: median(rs.map((r) => r.gen.latency_us.p99)),
      max: median(rs.map((r) => r.gen.latency_us.max)),
      cpuUsPerExchange: cpu.length ? median(cpu) : undefined,
      userUsPerExchange: user.length ? median(user) : undefined,
      cpuPct: pct.length ? median(pct) : undefined,
      rssKb: rss.length ? Math.max(...rss) : undefined,
      hwmKb: hwm.length ? Math.max(...hwm) : undefined,
    });
  }
  return out;
}

const fmtRate = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x >= 1000 ? `${(x / 1000).toFixed(2)}k` : x.toFixed(0));
const fmtMs = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`);
const fmtMb = (kb: number | undefined): string => (kb === undefined ? '—' : `${(kb / 1024).toFixed(1)}`);
const fmtPct = (x: number): string => `${(x * 100).toFixed(2)} %`;

function find(s: readonly Summary[], server: string, ex: Exchange): Summary | undefined {
  return s.find((x) => x.server === server && x.exchange === ex);
}

/** onlinkd's RS → RA measured within its per-tap allowance (scale lab), used in place of the limited single-tap row. */
export interface RsAllowance {
  exchangesPerS: number;
  p99: number;
  taps: number;
}

/** Markdown table: one row per exchange, a column per server, onlinkd/peer ratios. */
export function headlineTable(s: readonly Summary[], servers: readonly string[], rs?: RsAllowance): string {
  const peers = servers.filter((x) => x !== 'onlinkd');
  const ratioPeers = peers.filter((p) => p !== 'onlinkd-info' && p !== 'onlinkd-b');
  const head = ['exchange', ...servers.map((x) => `${x}`), ...ratioPeers.map((p) => `onlinkd / ${p}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const exchanges = EXCHANGES.filter((e) => s.some((x) => x.exchange === e));
  for (const ex of exchanges) {
    const o = find(s, 'onlinkd', ex);
    const cells = servers.map((srv) => {
      const x = find(s, srv, ex);
      if (!x) return '—';
      const loss = x.loss > 0.001 ? `, loss ${fmtPct(x.loss)}` : '';
      return `${fmtRate(x.exchangesPerS)}/s, p99 ${fmtMs(x.p99)}${loss}`;
    });
    const ratios = ratioPeers
      .map((p) => {
        const x = find(s, p, ex);
        return o && x && x.exchangesPerS > 0 ? `${(o.exchangesPerS / x.exchangesPerS).toFixed(2)}×` : '—';
      });
    lines.push(`| ${EXCHANGE_LABEL[ex]} | ${[...cells, ...ratios].join(' | ')} |`);
  }
  if (exchanges.includes('rs')) {
    lines.push(
      '',
      'onlinkd\'s per-tap RS limiter ([ipv6] rs_burst 3, rs_rate 1/s by default) is lifted for the comparison, as its ' +
        'flood guard is: dnsmasq answers every RS. RS → RA over every tap of the scale lab, within the default allowance' +
        (rs ? `: ${fmtRate(rs.exchangesPerS)}/s, p99 ${fmtMs(rs.p99)} (${rs.taps} taps × 3 RS).` : '.'),
    );
  }
  return lines.join('\n');
}

export function detailTable(s: readonly Summary[]): string {
  const head = ['server', 'exchange', 'mode', 'rounds', 'exchanges/s (per round)', 'loss', 'p50', 'p90', 'p99', 'max', 'CPU µs/exchange', 'CPU %', 'RSS MB', 'peak RSS MB'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const x of s) {
    lines.push(
      `| ${x.server} | ${x.exchange} | ${x.mode}${x.mode === 'window' ? ` ${x.window}` : ''} | ${x.rounds} | ${fmtRate(x.exchangesPerS)} (${x.perRound.join(', ')}) | ${fmtPct(x.loss)} | ${fmtMs(x.p50)} | ${fmtMs(x.p90)} | ${fmtMs(x.p99)} | ${fmtMs(x.max)} | ${x.cpuUsPerExchange?.toFixed(1) ?? '— (kernel)'} | ${x.cpuPct?.toFixed(0) ?? '—'} | ${fmtMb(x.rssKb)} | ${fmtMb(x.hwmKb)} |`,
    );
  }
  return lines.join('\n');
}

export function scaleTable(r: ScaleResult, singleTap: Summary | undefined): string {
  const singleTapCpu = singleTap?.cpuUsPerExchange;
  const ctl = r.control.status === 'ok' ? `${r.control.addsPerS.toFixed(0)}/s (${r.control.ok} ok, ${r.control.errors} errors, p99 ${r.control.latencyMs.p99.toFixed(2)} ms, ${r.control.filesWritten ?? '?'} files written)` : r.control.message;
  const cpuRow = (x: typeof r.doraOneTap) => `${fmtRate(x.gen.exchanges_per_s)}/s, ${x.cpuUsPerExchange?.toFixed(1)} µs CPU/DORA (user space ${x.userUsPerExchange?.toFixed(1)}), p99 ${fmtMs(x.gen.latency_us.p99)}, loss ${fmtPct(x.gen.loss)}`;
  const vsSingle = (x: typeof r.doraOneTap) =>
    singleTapCpu && x.cpuUsPerExchange ? ` (${(((x.cpuUsPerExchange - singleTapCpu) / singleTapCpu) * 100).toFixed(0)} % vs single-tap lab ${singleTapCpu.toFixed(1)} µs, user space ${singleTap?.userUsPerExchange?.toFixed(1)})` : '';
  const rows: Array<[string, string]> = [
    ['taps bound', `${r.taps} (lab built in ${r.labSetupS.toFixed(1)} s)`],
    ['start → ready (READY=1)', `${r.readyMsAllCpus} ms on all CPUs (as deployed); pinned to one CPU like the other runs: ${r.readyMs} ms (and ${r.readyMsShortPeriod} ms in another start) — "${r.readyStatus}"`],
    ['RSS at ready / after traffic (peak) / after binding-add (peak)', `${fmtMb(r.rssAtReady?.rssKb)} / ${fmtMb(r.rssBeforeControl?.rssKb)} (${fmtMb(r.rssBeforeControl?.hwmKb)}) / ${fmtMb(r.rssAtEnd?.rssKb)} (${fmtMb(r.rssAtEnd?.hwmKb)}) MB`],
    ['start-up RAs (initial bursts)', `${r.startBurst.totalRas} RAs on ${r.startBurst.tapsWithRa} taps in ${r.startBurst.seconds} s; largest 100 ms burst ${r.startBurst.maxPer100ms}`],
    ['idle CPU (no guest traffic, ra_period 300)', `${r.idle.cpuPct.toFixed(3)} % over ${r.idle.seconds.toFixed(0)} s from ${(r.settle.seconds).toFixed(0)} s after ready; the ${(r.settle.seconds).toFixed(0)} s before (settling): ${r.settle.cpuPct.toFixed(2)} %`],
    [
      `periodic RAs (ra_period ${r.periodic.raPeriod} s)`,
      `${r.periodic.totalRas} RAs on ${r.periodic.tapsWithRa} taps in ${r.periodic.seconds} s; per 100 ms mean ${r.periodic.meanPer100ms.toFixed(1)}, largest ${r.periodic.maxPer100ms}`,
    ],
    [
      'RS → RA on random taps while periodic RAs run',
      `${r.rsWhilePeriodic.gen.completed} answered of ${r.rsWhilePeriodic.gen.started}; p50 ${fmtMs(r.rsWhilePeriodic.gen.latency_us.p50)}, p99 ${fmtMs(r.rsWhilePeriodic.gen.latency_us.p99)}, max ${fmtMs(r.rsWhilePeriodic.gen.latency_us.max)}`,
    ],
    ['DORA on 1 tap of ' + r.taps, cpuRow(r.doraOneTap) + vsSingle(r.doraOneTap)],
    ['DORA on random taps', cpuRow(r.doraRandomTaps) + vsSingle(r.doraRandomTaps)],
    [
      'RS → RA within the per-tap allowance (3 per tap, round robin)',
      `${fmtRate(r.rsAllowance.gen.exchanges_per_s)}/s, ${r.rsAllowance.gen.completed} of ${r.rsAllowance.gen.started}, p99 ${fmtMs(r.rsAllowance.gen.latency_us.p99)}, ${r.rsAllowance.cpuUsPerExchange?.toFixed(1)} µs CPU/RS`,
    ],
    ['binding-add over the control socket', ctl],
  ];
  const foreign = [r.rsWhilePeriodic, r.doraOneTap, r.doraRandomTaps, r.rsAllowance].map((x) => x.foreignCpuPct ?? 0);
  const worst = Math.max(...foreign);
  rows.push(['other work on the machine during these runs', `up to ${worst.toFixed(0)} % of a CPU${worst >= 5 ? ' (**noisy**)' : ''}`]);
  return ['| scale figure | measured |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}

export interface Machine {
  cpu: string;
  cpus: number;
  memoryGb: number;
  kernel: string;
  os: string;
  node: string;
}

export function machine(): Machine {
  let osName = os.type();
  try {
    osName = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    /* keep */
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
    os: osName,
    node: process.version,
  };
}
