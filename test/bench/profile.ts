/**
 * `npm run bench -- profile [--exchange dora|rs|ns|ir|idle] [--duration 10] [--taps 1] [--ra-period S]`:
 * onlinkd under load with `node --cpu-prof`, then the profile summarised
 * (self time by function and by source file, inclusive time of the
 * packet-path entry points). The .cpuprofile stays in node_modules/.cache/onlinkd-bench/profiles
 * for Chrome DevTools / speedscope.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, describeRun, singleVmLab } from './compare.js';
import { ROOT, type Exchange } from './generator.js';
import { scaleLab } from './scale.js';
import { cpuSeconds, userSeconds } from './procstat.js';
import { SINGLE, startOnlinkd } from './servers.js';
import { setTimeout as sleep } from 'node:timers/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  selfByFunction: Array<{ name: string; ms: number; pct: number }>;
  selfByFile: Array<{ file: string; ms: number; pct: number }>;
  inclusive: Array<{ name: string; ms: number; pct: number }>;
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 1);
  const n = url.indexOf('node_modules/');
  if (n >= 0) return url.slice(n);
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}

export function summarizeProfile(p: Profile, top = 30, inclusiveOf: readonly string[] = []): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fnSelf = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const incl = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.functionName === '(idle)') idle += us;
    if (f.functionName === '(garbage collector)') gc += us;
    const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + us);
    const file = f.url ? shortUrl(f.url) : f.functionName;
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + us);
    // Inclusive: credit each named ancestor once per sample stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)!.callFrame.functionName;
      if (inclusiveOf.includes(name) && !seen.has(name)) {
        seen.add(name);
        incl.set(name, (incl.get(name) ?? 0) + us);
      }
    }
  }
  const busy = total - idle;
  const rows = <K extends string>(m: Map<string, number>, k: K) =>
    [...m]
      .filter(([name]) => name !== '(idle)' && !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ [k]: name, ms: us / 1000, pct: (us / busy) * 100 }) as { [P in K]: string } & { ms: number; pct: number });
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    gcMs: gc / 1000,
    selfByFunction: rows(fnSelf, 'name'),
    selfByFile: rows(fileSelf, 'file'),
    inclusive: rows(incl, 'name'),
  };
}

export function formatProfile(s: ProfileSummary): string {
  const busy = s.totalMs - s.idleMs;
  const out = [
    `profile: ${s.totalMs.toFixed(0)} ms sampled, busy ${busy.toFixed(0)} ms (${((busy / s.totalMs) * 100).toFixed(0)} %), GC ${s.gcMs.toFixed(0)} ms (${((s.gcMs / busy) * 100).toFixed(1)} % of busy)`,
    '',
    'inclusive (share of busy time):',
    ...s.inclusive.map((r) => `  ${r.pct.toFixed(1).padStart(5)} %  ${r.name}`),
    '',
    'self time by source file:',
    ...s.selfByFile.map((r) => `  ${r.pct.toFixed(1).padStart(5)} %  ${r.file}`),
    '',
    'self time by function:',
    ...s.selfByFunction.map((r) => `  ${r.pct.toFixed(1).padStart(5)} %  ${r.name}`),
  ];
  return out.join('\n');
}

const ENTRY_POINTS = [
  'dispatch', // PacketSocket.dispatch (JS side of the addon callback)
  'handle',
  'handleIpv4',
  'decodeUdpFrame',
  'decodeDhcp4',
  'respondDhcp4',
  'dhcp4ReplyFrame',
  'encodeDhcp4',
  'buildUdpFrame',
  'decodeIpv6Frame',
  'decodeIcmpv6',
  'decodeNdp',
  'respondNeighborSolicitation',
  'respondRouterSolicitation',
  'ndpReplyFrame',
  'decodeDhcp6',
  'respondInformationRequest',
  'dhcp6ReplyFrame',
  'sendFrame',
  'send',
  'request',
  'reply',
  'drop',
  'lookup',
  'serverMac',
  'checkDhcp4Client',
  'checkSourceMac',
  '#withinRate',
  'rateLimited',
];

async function main(): Promise<void> {
  const { values: f } = parseArgs({
    options: {
      exchange: { type: 'string', default: 'dora' },
      duration: { type: 'string', default: '10' },
      taps: { type: 'string', default: '1' },
      window: { type: 'string', default: '16' },
      'log-level': { type: 'string', default: 'warn' },
      top: { type: 'string', default: '30' },
      perf: { type: 'boolean', default: false },
      'ra-period': { type: 'string' },
    },
    strict: true,
  });
  const exchange = f.exchange as Exchange | 'idle';
  const taps = Number(f.taps);
  const dir = join(ROOT, 'node_modules/.cache/onlinkd-bench/profiles');
  mkdirSync(dir, { recursive: true });
  const single = taps <= 1;
  const s = single ? { lab: await singleVmLab(), bindings: [SINGLE], vmNs: '', ifFile: '' } : await scaleLab(taps, (l) => console.log(l));
  const vmNs = single ? s.lab.vm(SINGLE.tap).ns : s.vmNs;
  const profDir = s.lab.path('prof');
  mkdirSync(profDir, { recursive: true });
  try {
    const nodeArgs = f.perf ? ['--perf-basic-prof'] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
    const raPeriod = f['ra-period'] !== undefined ? Number(f['ra-period']) : undefined;
    const server = await startOnlinkd(s.lab, s.bindings, { logLevel: f['log-level'], nodeArgs, raPeriod });
    const perfData = join(profDir, 'perf.data');
    const perf = f.perf
      ? spawn('perf', ['record', '-q', '-F', '1999', '-g', '-p', String(server.process.pid), '-o', perfData, '--', 'sleep', String(Math.max(1, Number(f.duration) - 1))], { stdio: 'inherit' })
      : undefined;
    const perfDone = perf ? new Promise((resolve) => perf.once('exit', resolve)) : Promise.resolve();
    if (exchange === 'idle') {
      // No guest traffic: what the daemon costs on its own (timers, RAs, GC).
      // Per 5 s, so the start-up RA bursts (0, 2 and 6 s after ready) stand apart from the steady cost.
      const pid = server.process.pid;
      for (let t = 0; t < Number(f.duration); t += 5) {
        const c0 = cpuSeconds(pid) ?? 0;
        const u0 = userSeconds(pid) ?? 0;
        await sleep(5000);
        const pct = (s: number) => ((s / 5) * 100).toFixed(3);
        const user = (userSeconds(pid) ?? 0) - u0;
        const all = (cpuSeconds(pid) ?? 0) - c0;
        console.log(`onlinkd idle ${t}-${t + 5} s after ready: ${pct(all)} % CPU (user ${pct(user)}, kernel ${pct(all - user)})`);
      }
    } else {
      const r = await measure(s.lab, vmNs, server, s.bindings[0]!, exchange, { mode: 'window', window: Number(f.window), durationS: Number(f.duration), warmupS: 0.5, timeoutS: 1 }, 0, single ? {} : { interfaceFile: s.ifFile, pick: 'random' });
      console.log(describeRun(r));
    }
    if (perf) {
      await perfDone;
      const rep = spawnSync('perf', ['report', '-i', perfData, '--stdio', '--no-children', '--sort', 'dso,sym', '--percent-limit', '0.7'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      console.log(rep.stdout.split('\n').filter((l) => /^\s+\d/.test(l)).join('\n'));
      const kern = spawnSync('perf', ['report', '-i', perfData, '--stdio', '--no-children', '--sort', 'dso', '--percent-limit', '0.5'], { encoding: 'utf8' });
      console.log(kern.stdout.split('\n').filter((l) => /^\s+\d/.test(l)).join('\n'));
      if (process.env.BENCH_PERF_KEEP) copyFileSync(perfData, process.env.BENCH_PERF_KEEP);
      await server.stop();
      return;
    }
    // SIGTERM: the daemon exits through process.exit, and node writes the profile on the way out.
    const exitMs = await server.stop(60_000);
    console.log(`onlinkd exited ${exitMs} ms after SIGTERM`);
    const file = readdirSync(profDir).find((n) => n.endsWith('.cpuprofile'));
    if (!file) throw new Error('bench: no .cpuprofile written');
    const keep = join(dir, `${exchange}-${taps}taps-${basename(file)}`);
    copyFileSync(join(profDir, file), keep);
    const sum = summarizeProfile(JSON.parse(readFileSync(keep, 'utf8')) as Profile, Number(f.top), ENTRY_POINTS);
    console.log(formatProfile(sum));
    console.log(`\nprofile kept in ${keep}`);
  } finally {
    await s.lab.destroy();
  }
}

if (process.argv[1] && basename(process.argv[1]) === 'profile.js') {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
