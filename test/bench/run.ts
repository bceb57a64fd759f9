/**
 * `npm run bench` (through scripts/bench.sh): onlinkd, dnsmasq, Kea and the
 * kernel side by side on the same veth pair, several rounds, then the
 * hypervisor-scale scenario; prints medians and onlinkd/peer ratios, writes
 * test/bench/results/<date>.json and BENCHMARKS.md.
 *
 * Every option is a flag or an environment variable (flag wins):
 *   --rounds N         BENCH_ROUNDS      rounds of the comparison (3)
 *   --duration S       BENCH_DURATION    measured seconds per run (5)
 *   --warmup S         BENCH_WARMUP      unmeasured seconds before (0.5)
 *   --window N         BENCH_WINDOW      exchanges in flight (16)
 *   --mode M           BENCH_MODE        window | pingpong | flood (window)
 *   --servers LIST     BENCH_SERVERS     onlinkd,onlinkd-info,dnsmasq,kea,kernel (+ onlinkd-b:
 *                                        BENCH_ONLINKD_B=another build's dist/cli/onlinkd.js, same rounds)
 *   --exchanges LIST   BENCH_EXCHANGES   dora,dora-options,rs,ns,ir,solicit
 *   --taps N           BENCH_TAPS        scale scenario taps (4096; 0 = skip it)
 *   --ra-period S      BENCH_RA_PERIOD   ra_period for the periodic-RA figure (30)
 *   --ra-window S      BENCH_RA_WINDOW   seconds RAs are counted (= ra-period)
 *   --idle S           BENCH_IDLE        idle CPU measurement (20)
 *   --settle S         BENCH_SETTLE      seconds after ready before idle is measured (30)
 *   --control N        BENCH_CONTROL     binding-add requests (20000)
 *   --routes N         BENCH_ROUTES      routed-hypervisor bindings (1000; 0 = skip it; alone: `npm run bench -- routes`)
 *   --no-compare                         only the scale scenario
 *   --reuse-compare FILE                 take the comparison from an earlier results JSON, run the scale part
 *   --no-write                           print only (no JSON, no BENCHMARKS.md)
 *   --quick                              1 round of 2 s, 512 taps (a look, not a figure)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labAvailable } from '../e2e/lab.js';
import { runComparison, type RunRecord } from './compare.js';
import { EXCHANGES, ROOT, ensureGenerator, type Exchange, type GenMode } from './generator.js';
import { EXCHANGE_LABEL, detailTable, headlineTable, machine, scaleTable, summarize, type Summary } from './report.js';
import { cpuPlacement } from './procstat.js';
import { runScale, type ScaleResult } from './scale.js';
import { routesSection, runRoutes, type RoutesResult } from './routes.js';
import { dnsmasqAdapter, keaAdapter, kernelAdapter, onlinkdAdapter, type Adapter } from './servers.js';

const { values: f } = parseArgs({
  options: {
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    window: { type: 'string' },
    mode: { type: 'string' },
    servers: { type: 'string' },
    exchanges: { type: 'string' },
    taps: { type: 'string' },
    'ra-period': { type: 'string' },
    'ra-window': { type: 'string' },
    idle: { type: 'string' },
    settle: { type: 'string' },
    control: { type: 'string' },
    routes: { type: 'string' },
    'no-compare': { type: 'boolean' },
    'reuse-compare': { type: 'string' },
    'no-write': { type: 'boolean' },
    quick: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (f.help) {
  const src = new URL(import.meta.url).pathname.replace(/node_modules\/.cache\/onlinkd-bench\/js\//, '').replace(/\.js$/, '.ts');
  process.stdout.write(`usage: npm run bench -- [options]   (see ${src} for the list)\n`);
  process.exit(0);
}

const quick = !!f.quick;
const num = (flag: string | undefined, env: string, dflt: number): number => {
  const v = flag ?? process.env[env];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`bench: ${env} / flag must be a number, got ${v}`);
  return n;
};
const list = (flag: string | undefined, env: string, dflt: string): string[] => (flag ?? process.env[env] ?? dflt).split(',').map((s) => s.trim()).filter(Boolean);

const opts = {
  rounds: num(f.rounds, 'BENCH_ROUNDS', quick ? 1 : 3),
  durationS: num(f.duration, 'BENCH_DURATION', quick ? 2 : 5),
  warmupS: num(f.warmup, 'BENCH_WARMUP', 0.5),
  window: num(f.window, 'BENCH_WINDOW', 16),
  mode: (f.mode ?? process.env.BENCH_MODE ?? 'window') as GenMode,
  servers: list(f.servers, 'BENCH_SERVERS', `onlinkd,onlinkd-info,${process.env.BENCH_ONLINKD_B ? 'onlinkd-b,' : ''}dnsmasq,kea,kernel`),
  exchanges: list(f.exchanges, 'BENCH_EXCHANGES', EXCHANGES.join(',')) as Exchange[],
  taps: num(f.taps, 'BENCH_TAPS', quick ? 512 : 4096),
  raPeriod: num(f['ra-period'], 'BENCH_RA_PERIOD', quick ? 10 : 30),
  raWindowS: 0,
  idleS: num(f.idle, 'BENCH_IDLE', quick ? 5 : 20),
  settleS: num(f.settle, 'BENCH_SETTLE', quick ? 7 : 30),
  control: num(f.control, 'BENCH_CONTROL', quick ? 2000 : 20000),
  routes: num(f.routes, 'BENCH_ROUTES', 1000),
  compare: !f['no-compare'],
  write: !f['no-write'],
};
opts.raWindowS = num(f['ra-window'], 'BENCH_RA_WINDOW', opts.raPeriod);
if (!['window', 'pingpong', 'flood'].includes(opts.mode)) throw new Error(`bench: mode must be window, pingpong or flood`);
for (const e of opts.exchanges) if (!EXCHANGES.includes(e)) throw new Error(`bench: unknown exchange ${e}`);

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  const av = labAvailable({ binaries: ['ip', 'sysctl', 'ss', 'sh'] });
  if (!av.ok) throw new Error(`bench: cannot build the namespace lab: ${av.reason}`);
  ensureGenerator();
  const started = new Date();

  const all: Record<string, () => Adapter> = {
    onlinkd: () => onlinkdAdapter(),
    // The shipped default log level: one info line per DHCP reply.
    'onlinkd-info': () => ({ ...onlinkdAdapter({ logLevel: 'info' }, 'onlinkd-info'), exchanges: ['dora'] }),
    // A second build side by side (BENCH_ONLINKD_B=/path/to/dist/cli/onlinkd.js): to measure a patch in the same rounds.
    'onlinkd-b': () => onlinkdAdapter({ entry: process.env.BENCH_ONLINKD_B || '/nonexistent: set BENCH_ONLINKD_B' }, 'onlinkd-b'),
    dnsmasq: () => dnsmasqAdapter(),
    kea: () => keaAdapter(),
    kernel: () => kernelAdapter(),
  };
  const adapters: Adapter[] = [];
  const skipped: string[] = [];
  for (const name of opts.servers) {
    const make = all[name];
    if (!make) throw new Error(`bench: unknown server ${name} (${Object.keys(all).join(', ')})`);
    const a = make();
    const why = a.unavailable();
    if (why) {
      skipped.push(`${name}: ${why}`);
      log(`bench: skipping ${name}: ${why}`);
    } else adapters.push(a);
  }
  const versions: Record<string, string> = Object.fromEntries(adapters.map((a) => [a.name, a.version()]));
  const m = machine();
  const loadBefore = os.loadavg()[0]!;
  if (loadBefore > 0.3) log(`bench: WARNING: load average ${loadBefore.toFixed(2)} before the run: something else is using the CPUs, figures will be noisy`);
  log(`bench: ${m.cpus} × ${m.cpu}, ${m.kernel}, ${opts.rounds} rounds × ${opts.durationS} s, ${opts.mode} ${opts.window}`);
  for (const [k, v] of Object.entries(versions)) log(`  ${k}: ${v}`);

  let records: RunRecord[] = [];
  let summary: Summary[] = [];
  let reused = '';
  if (f['reuse-compare']) {
    const old = JSON.parse(readFileSync(f['reuse-compare'], 'utf8')) as { date: string; records: RunRecord[]; versions?: Record<string, string> };
    records = old.records;
    for (const [k, v] of Object.entries(old.versions ?? {})) versions[k] ??= v;
    summary = summarize(records);
    reused = `comparison reused from \`${f['reuse-compare'].replace(`${ROOT}/`, '')}\` (${old.date}); scale measured now`;
    log(`bench: ${reused}`);
  } else if (opts.compare) {
    records = await runComparison(adapters, {
      rounds: opts.rounds,
      exchanges: opts.exchanges,
      mode: opts.mode,
      window: opts.window,
      durationS: opts.durationS,
      warmupS: opts.warmupS,
      timeoutS: 1,
      log,
    });
    summary = summarize(records);
  }

  let scale: ScaleResult | undefined;
  if (opts.taps > 0 && opts.servers.includes('onlinkd')) {
    scale = await runScale({
      taps: opts.taps,
      raPeriod: opts.raPeriod,
      raWindowS: opts.raWindowS,
      idleS: opts.idleS,
      settleS: opts.settleS,
      durationS: opts.durationS,
      warmupS: opts.warmupS,
      rsRate: 500,
      controlCount: opts.control,
      log,
    });
  }

  let routes: RoutesResult | undefined;
  if (opts.routes > 0 && opts.servers.includes('onlinkd')) routes = await runRoutes({ bindings: opts.routes, rounds: opts.rounds, log });

  const loadAfter = os.loadavg()[0]!;
  const servers = adapters.map((a) => a.name);
  const singleTap = summary.find((s) => s.server === 'onlinkd' && s.exchange === 'dora');
  const parts: string[] = [];
  if (summary.length) {
    parts.push(`### Medians of ${opts.rounds} rounds (${opts.mode}${opts.mode === 'window' ? ` ${opts.window}` : ''}, ${opts.durationS} s each, one bound MAC)\n`);
    const rsAllowance = scale ? { exchangesPerS: scale.rsAllowance.gen.exchanges_per_s, p99: scale.rsAllowance.gen.latency_us.p99, taps: scale.taps } : undefined;
    parts.push(headlineTable(summary, servers, rsAllowance));
    parts.push('\n### Every figure (medians; RSS is the largest seen)\n');
    parts.push(detailTable(summary));
  }
  if (scale) {
    parts.push(`\n### Scale: ${scale.taps} bound taps\n`);
    parts.push(scaleTable(scale, singleTap));
  }
  if (routes) parts.push(`\n${routesSection(routes)}\n`);
  const goals = goalTable(summary, scale, singleTap);
  if (goals) parts.push(`\n### Issue 5 goals\n\n${goals}`);
  const text = parts.join('\n');
  log(`\n${text}\n`);

  if (!opts.write) return;
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const dir = join(ROOT, 'test/bench/results');
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${stamp}.json`);
  writeFileSync(
    json,
    JSON.stringify(
      { date: started.toISOString(), finished: new Date().toISOString(), machine: m, loadavg: { before: loadBefore, after: loadAfter }, placement: cpuPlacement() ?? 'scheduler', versions, options: opts, skipped, summary, records, scale, routes },
      null,
      1,
    ) + '\n',
  );
  const foreign = records.map((r) => r.foreignCpuPct ?? 0);
  const noisy = foreign.filter((x) => x >= 5).length;
  const foreignLine = (reused ? `${reused}; ` : '') + (records.length
    ? `other work on the machine during the runs: up to ${Math.max(...foreign).toFixed(0)} % of a CPU (user time not the server's or the generator's); ${noisy} of ${records.length} runs above 5 %${noisy ? ' (**noisy**)' : ''}`
    : '');
  const md = benchmarksMarkdown(started, m, versions, text, skipped, `test/bench/results/${stamp}.json`, [loadBefore, loadAfter], (Date.now() - started.getTime()) / 1000, foreignLine);
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
  log(`bench: wrote ${json} and BENCHMARKS.md`);
}

function goalTable(s: readonly Summary[], scale: ScaleResult | undefined, singleTap: Summary | undefined): string {
  const rows: string[] = [];
  const get = (srv: string, ex: Exchange) => s.find((x) => x.server === srv && x.exchange === ex);
  const ratioGoal = (ex: Exchange, factor: number, extra = ''): void => {
    const o = get('onlinkd', ex);
    const d = get('dnsmasq', ex);
    if (!o || !d) return;
    const ratio = o.exchangesPerS / d.exchangesPerS;
    rows.push(`| ${EXCHANGE_LABEL[ex]} ≥ ${factor}× dnsmasq${extra} | ${ratio.toFixed(2)}× (${Math.round(o.exchangesPerS)} vs ${Math.round(d.exchangesPerS)}/s, p99 ${(o.p99 / 1000).toFixed(2)} ms, loss ${(o.loss * 100).toFixed(2)} %) | ${ratio >= factor ? 'met' : 'not met'} |`);
  };
  ratioGoal('dora', 1.5, ', 0 % loss, p99 ≤ 1 ms');
  ratioGoal('rs', 1.5);
  ratioGoal('ir', 1.2);
  // Issue 13: the reply templates keep applying to a binding with options.
  const plain = get('onlinkd', 'dora');
  const withOptions = get('onlinkd', 'dora-options');
  if (plain && withOptions) {
    const ratio = withOptions.exchangesPerS / plain.exchangesPerS;
    const cpu = (x: Summary): string => (x.cpuUsPerExchange === undefined ? '?' : x.cpuUsPerExchange.toFixed(1));
    rows.push(
      `| ${EXCHANGE_LABEL['dora-options']}: within 10 % of DORA | ${(ratio * 100).toFixed(1)} % (${Math.round(withOptions.exchangesPerS)} vs ${Math.round(plain.exchangesPerS)}/s;` +
        ` server CPU ${cpu(withOptions)} vs ${cpu(plain)} µs/exchange) | ${ratio >= 0.9 ? 'met' : 'not met'} |`,
    );
  }
  const ns = get('onlinkd', 'ns');
  if (ns) rows.push(`| NS → NA ≥ 100k/s | ${Math.round(ns.exchangesPerS)}/s | ${ns.exchangesPerS >= 100_000 ? 'met' : 'not met'} |`);
  if (scale) {
    rows.push(
      `| ${scale.taps} taps: start → ready < 1 s | ${scale.readyMsAllCpus} ms on the machine's ${os.availableParallelism()} CPUs (as deployed); ${scale.readyMs} ms pinned to one CPU |` +
        ` ${scale.readyMsAllCpus < 1000 ? 'met' : 'not met'}${scale.readyMsAllCpus < 1000 && scale.readyMs >= 1000 ? ' (not on one CPU)' : ''} |`,
    );
    const peak = scale.rssBeforeControl?.hwmKb;
    const withAdds = scale.rssAtEnd?.hwmKb;
    rows.push(
      `| RSS < 150 MB | peak ${peak ? (peak / 1024).toFixed(0) : '?'} MB with ${scale.taps} taps under traffic` +
        ` (${withAdds ? (withAdds / 1024).toFixed(0) : '?'} MB once binding-add has added ${scale.control.status === 'ok' ? scale.control.ok : 'its'} more) | ${peak && peak < 150 * 1024 ? 'met' : 'not met'} |`,
    );
    rows.push(`| periodic RAs spread evenly | largest 100 ms burst ${scale.periodic.maxPer100ms} (mean ${scale.periodic.meanPer100ms.toFixed(1)}) | report |`);
    const p99 = scale.rsWhilePeriodic.gen.latency_us.p99;
    rows.push(`| RS → RA p99 on a random tap < 2 ms while periodic RAs run | ${(p99 / 1000).toFixed(2)} ms | ${p99 < 2000 ? 'met' : 'not met'} |`);
    const c = scale.doraRandomTaps.cpuUsPerExchange;
    const singleTapCpu = singleTap?.cpuUsPerExchange;
    if (c && singleTapCpu) {
      const d = (c - singleTapCpu) / singleTapCpu;
      // The user-space part is onlinkd's own lookups and codecs: what "constant-time" is about.
      const u = scale.doraRandomTaps.userUsPerExchange;
      const su = singleTap?.userUsPerExchange;
      const user = u && su ? `; user space alone ${u.toFixed(1)} vs ${su.toFixed(1)} µs (${(((u - su) / su) * 100).toFixed(0)} %)` : '';
      rows.push(`| CPU per DORA with ${scale.taps} taps within 10 % of single tap | ${c.toFixed(1)} vs ${singleTapCpu.toFixed(1)} µs (${(d * 100).toFixed(0)} %)${user} | ${Math.abs(d) <= 0.1 ? 'met' : 'not met'} |`);
    }
    if (scale.control.status === 'ok') {
      rows.push(`| binding-add ≥ 5,000/s | ${scale.control.addsPerS.toFixed(0)}/s | ${scale.control.addsPerS >= 5000 ? 'met' : 'not met'} |`);
    } else rows.push(`| binding-add ≥ 5,000/s | ${scale.control.message} | not measured |`);
    rows.push(
      `| idle < 0.5 % CPU with ${scale.taps} taps | ${scale.idle.cpuPct.toFixed(3)} % (from ${scale.settle.seconds.toFixed(0)} s after ready; ${scale.settle.cpuPct.toFixed(2)} % while settling before that) | ${scale.idle.cpuPct < 0.5 ? 'met' : 'not met'} |`,
    );
  }
  if (!rows.length) return '';
  return ['| goal | measured | |', '|---|---|---|', ...rows].join('\n');
}

function benchmarksMarkdown(
  date: Date,
  m: ReturnType<typeof machine>,
  versions: Record<string, string>,
  tables: string,
  skipped: string[],
  jsonPath: string,
  load: [number, number],
  seconds: number,
  foreignLine: string,
): string {
  const pin = cpuPlacement();
  return `# Benchmarks

Generated by \`npm run bench\` (test/bench/run.ts; \`npm run bench -- --help\`) on ${date.toISOString().slice(0, 10)} in
${Math.round(seconds)} s; the raw figures of every run are in \`${jsonPath}\`. Re-run it to reproduce on your machine;
this file is overwritten. \`npm run bench -- profile --exchange dora\` profiles onlinkd under load.

## Machine and versions

- ${m.cpus} × ${m.cpu}, ${m.memoryGb} GiB, Linux ${m.kernel}, ${m.os}
- load average ${load[0].toFixed(2)} before, ${load[1].toFixed(2)} after${foreignLine ? `; ${foreignLine}` : ''}
- CPU placement: ${pin ? `servers on CPU ${pin.server}, generator on CPU ${pin.generator} (BENCH_PIN=0: the scheduler decides)` : 'left to the scheduler'}
${Object.entries(versions)
  .map(([k, v]) => `- ${k}: ${v}`)
  .join('\n')}
${skipped.map((s) => `- skipped: ${s}`).join('\n')}

## How it is measured

- A "hypervisor" network namespace holds the tap (the hv end of a veth pair) and the server; the "VM" namespace holds
  the other end and the load generator (\`test/bench/olkgen.c\`, raw AF_PACKET, compiled with the system cc), which sends
  what a guest sends: DISCOVER then REQUEST (server id and address from the OFFER), RS, NS for the gateway, DHCPv6
  Information-Request, DHCPv6 Solicit (IA_NA) then Request (server id and address from the Advertise; onlinkd's
  binding in \`MODE6=dhcpv6\` with \`IP6\`, Kea's kea-dhcp6 with a host reservation for the DUID).
  One bound MAC; ${'`window N`'} keeps N exchanges in flight (a DORA or a Solicit is one exchange of two round trips).
  The VM namespace's own IPv6 stack is off; the generator answers the server's NS for the VM's link-local, as the
  VM's kernel would. Generator ceiling: the hv kernel's own NS → NA (row "kernel").
- Every server gets the same static binding (MAC, IPv4 address, router, DNS; IPv6 /64, gateway, DNS) and logs nothing
  per transaction (dnsmasq quiet-dhcp/-dhcp6/-ra, Kea at WARN, onlinkd at \`warn\`); \`onlinkd-info\` is onlinkd at its
  shipped default level (\`info\`: a DHCP reply logged when new for its tap, repeats once a minute). onlinkd's per-tap flood guard is lifted
  (\`[guard] rate/burst = 1000000\`): one VM driven flat out is a flood by its standards, and the peers have no such limit.
  So is its per-tap RS limiter (\`[ipv6] rs_burst/rs_rate = 1000000\`; 3, then 1 per second by default), as dnsmasq
  answers every RS; the scale table has RS → RA throughput within the default allowance (3 RS on each of the taps).
- Server CPU is utime + stime of the server process (all threads) over the run, divided by the exchanges answered;
  RSS is VmRSS / VmHWM from /proc. Latency is per exchange, first request sent to last answer received.
- Medians over rounds; within a round the servers run in rotated order, each in a fresh lab.
- CPU placement: on a small machine the scheduler puts the server and the generator, which wake each other for every
  exchange, on one CPU about half of the time, and a run's figures then depend on where it landed (measured: dnsmasq
  30k or 46k DORA/s from one run to the next). So every server (all its threads) runs on one CPU and the generator on
  another. Cross-CPU wake-ups then cost every server alike; none is at 100 % CPU at window 16 (see "CPU %").
- Scale: ${'`tap0..tapN`'} in the hypervisor namespace, their peers in one VM namespace, made with \`ip -batch\`; the VM
  namespace's one raw socket sees every tap's traffic, so RA counts are exact, not sampled. IPv6 is off on the
  hypervisor's taps: onlinkd needs no IP stack there, and with it on, every multicast frame a guest sends costs the
  host kernel a walk over one ff00::/8 route per tap (__find_rr_leaf was 79 % of the sender's CPU at 4096 taps).
- The generator's ceiling: the "kernel" NS → NA row (the hypervisor kernel answering for its own address).

## Results

${tables}

## What limits onlinkd here

Measured with \`npm run bench -- profile\` and small probes; these hold for this machine kind, re-check them elsewhere.

- About 44 % of onlinkd's CPU per DORA (about 5 µs of 12) is spent inside the send system call: the kernel's veth
  transmit, the delivery to the generator's socket and its wake-up on the other CPU, all charged to the sender. Every
  server pays it per reply; it is the same kernel path for dnsmasq's \`sendmsg()\`.
- Batching the sends (\`sendmmsg\`) would not change that: 342-byte frames on a veth cost 0.52 µs each with \`sendto\`
  and 0.51 µs with \`sendmmsg\` in batches of 16 when nothing listens, 1.46 vs 1.40 µs with a receiver on the other CPU
  (400,000 frames each). The per-reply cost is the kernel's work, not the system call.
- What onlinkd controls was cut. A guest's DHCPv4 replies come from per-binding templates: the frame is encoded once
  per binding, settings and request shape, and later replies only patch the xid and the UDP checksum. Other replies
  are encoded into one reused buffer. There are no per-frame Date or log objects, and a DHCPv4 reply is logged at
  \`info\` once per lease decision, not per packet. Every tap socket is in one native receive group (one JS call per
  event-loop iteration, whatever the number of sockets with traffic). What is left in JS is mostly decoding the
  request, 3–4 µs per DORA.
- Replies go out through the tap's own bound socket, with no address. The kernel then uses the device cached at bind
  instead of looking the ifindex up in a 256-bucket hash of every interface in the namespace. That lookup led the idle
  profile at 4096 taps.
- DORA over random taps of 4096 costs about three times the single-tap figure, in both halves:
  - kernel: each reply touches another veth's cold per-device state;
  - onlinkd's user space: 5 → 21 µs, because each DORA reads another tap's binding, counters, rate bucket and reply
    template, none of them in the CPU cache.
  The same DORA on one tap of the 4096 costs what it costs in the single-tap lab, so every lookup is constant-time.
  What grows is memory traffic, not work.
- Periodic RAs are built once per binding and resent as they are. Idle CPU with 4096 taps is then mostly timer
  wake-ups and the VMs' kernels answering RAs.
- Memory: onlinkd runs with \`--max-semi-space-size=2\`, as the systemd unit starts it. V8's default young
  generation (16 MB per semi-space) cost about 24 MB of RSS at 4096 taps, for no measurable speed.
- Routed hypervisor: the 2,000 host routes of 1,000 bindings cost onlinkd about 0.2 s of CPU, half in the kernel
  inserting them (\`ip -batch\` of the same 2,000 routes takes about 90 ms, their removal about 30 ms) and half its
  own (the requests built, 2,000 ACKs read). The rest of the start figure is the start itself: without
  \`[routing] manage\` the same start reaches READY=1 about 0.2 s sooner. The \`binding-add\` figure is mostly
  \`binding-add\` itself, whose files are written durably (the same 1,000 adds without routing: 0.6 to 0.8 s here);
  the last route is in the kernel about 40 ms after the last add is acknowledged.
`;
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
