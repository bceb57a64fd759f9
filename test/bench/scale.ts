/**
 * Hypervisor scale: N bound taps (default 4096) in one hypervisor namespace,
 * their VM ends all in one VM namespace (veth pairs made with `ip -batch`),
 * onlinkd serving all of them.
 *
 * What is measured, and how:
 *  - start → ready: spawn of `node dist/cli/onlinkd.js` to READY=1 on the
 *    notify socket (what systemd waits for), with every binding file loaded
 *    and attached (STATUS says "serving N of N bindings");
 *  - the RAs of start-up (initial bursts of every tap): one raw socket in
 *    the VM namespace sees every tap's VM end, so it counts every RA, not a
 *    sample; reported as the largest count per 100 ms;
 *  - idle: daemon CPU over a quiet period (no guest traffic; periodic RAs at
 *    the default ra_period keep running, they are part of the idle cost),
 *    from `settleS` (30) s after ready; the first 30 s (initial RA bursts, the RS and
 *    DAD of 4096 VMs coming up, V8's collections after the binding load)
 *    are reported on their own as "settling";
 *  - periodic RAs: after SIGHUP with a short ra_period (every tap's schedule
 *    is re-drawn), RAs per 100 ms over one period, all taps counted;
 *  - at the same time, RS → RA round trips on random taps, paced so no tap
 *    exceeds its RS allowance (3, then 1/s): p99 while periodic RAs run;
 *  - DORA on one tap among N and on random taps: server CPU per DORA, to
 *    compare with the single-tap lab (constant-time lookup);
 *  - RS → RA throughput within the per-tap allowance: 3 RS per tap, round
 *    robin over every tap (the only way to drive onlinkd's RS path at full
 *    speed without switching its limiter off);
 *  - binding-add over the control socket (when the daemon has one);
 *  - RSS and peak RSS along the way.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, sleep } from '../e2e/lab.js';
import { describeRun, measure, type RunRecord } from './compare.js';
import { benchBindingAdd, type ControlResult } from './control.js';
import { startGenerator, type GenResult } from './generator.js';
import { cpuSeconds, memory, type Memory } from './procstat.js';
import { benchBinding, startOnlinkd, type BenchBinding, type OnlinkdServer } from './servers.js';

export interface ScaleOptions {
  taps: number;
  /** ra_period for the periodic-RA measurement (s). */
  raPeriod: number;
  /** How long RAs are counted (s); one period by default. */
  raWindowS: number;
  idleS: number;
  /**
   * Seconds after ready before idle is measured: what settles first are the
   * initial RA bursts (0, 2, 6 s), the VMs' RS and DAD, V8's post-load collections.
   */
  settleS: number;
  durationS: number;
  warmupS: number;
  /** RS per second (all taps together) while periodic RAs run. */
  rsRate: number;
  controlCount: number;
  log: (line: string) => void;
}

export interface ScaleResult {
  taps: number;
  labSetupS: number;
  readyMs: number;
  /** The same with the short ra_period of phase A. */
  readyMsShortPeriod: number;
  readyStatus: string;
  rssAtReady: Memory | undefined;
  /** Start → READY=1 not pinned: the machine's every CPU, as deployed. */
  readyMsAllCpus: number;
  startBurst: { totalRas: number; maxPer100ms: number; tapsWithRa: number; seconds: number };
  idle: { seconds: number; cpuS: number; cpuPct: number; rss: Memory | undefined };
  /** CPU over the first ScaleOptions.settleS after ready (before `idle`). */
  settle: { seconds: number; cpuS: number; cpuPct: number };
  periodic: {
    raPeriod: number;
    seconds: number;
    totalRas: number;
    maxPer100ms: number;
    meanPer100ms: number;
    tapsWithRa: number;
    /** 100 ms buckets, for the record. */
    series: number[];
  };
  rsWhilePeriodic: RunRecord;
  doraOneTap: RunRecord;
  doraRandomTaps: RunRecord;
  rsAllowance: RunRecord;
  control: ControlResult;
  /** After every traffic test, before binding-add adds `control` bindings of its own. */
  rssBeforeControl: Memory | undefined;
  /** After the binding-add test (its bindings included). */
  rssAtEnd: Memory | undefined;
}

/** Builds the lab: tap0..tap{N-1} in hv, eth0 (tap0's peer) and v1..v{N-1} in one VM namespace. */
export async function scaleLab(taps: number, log: (l: string) => void): Promise<{ lab: Lab; bindings: BenchBinding[]; vmNs: string; ifFile: string }> {
  const bindings = Array.from({ length: taps }, (_, i) => benchBinding(i));
  const lab = await Lab.create({ vms: [{ tap: 'tap0', mac: bindings[0]!.mac, tapMac: 'fe:00:00:00:00:00' }] });
  try {
    const vmNs = lab.vm('tap0').ns;
    // New interfaces take the namespace defaults: quiet hv taps (no address, no RS/DAD/MLD, no ARP answers),
    // and no IPv6 stack in the VM namespace (the generator speaks for the VMs).
    // IPv6 is off on the hv taps too: onlinkd needs no IP stack there (packet sockets see every frame), and with
    // it on, every multicast frame a guest sends (RS, NS, MLD) costs the host kernel a walk over one ff00::/8
    // route per tap (__find_rr_leaf: 79 % of the sender's CPU at 4096 taps), which would measure the kernel.
    // BENCH_SCALE_HV_IPV6=1 keeps it on.
    const hvIpv6 = process.env.BENCH_SCALE_HV_IPV6 === '1';
    if (!hvIpv6) await lab.sysctl('hv', { 'net/ipv6/conf/default/disable_ipv6': 1, 'net/ipv6/conf/tap0/disable_ipv6': 1 });
    await lab.sysctl('hv', {
      'net/ipv6/conf/default/addr_gen_mode': 1,
      'net/ipv6/conf/default/accept_ra': 0,
      'net/ipv6/conf/default/autoconf': 0,
      'net/ipv6/conf/default/accept_dad': 0,
      'net/ipv6/conf/default/dad_transmits': 0,
      'net/ipv6/conf/default/router_solicitations': 0,
      'net/ipv4/conf/default/proxy_arp': 0,
      'net/ipv4/conf/default/arp_ignore': 8,
    });
    await lab.sysctl('tap0', { 'net/ipv6/conf/default/disable_ipv6': 1, 'net/ipv6/conf/eth0/disable_ipv6': 1 });
    const t0 = Date.now();
    const hvCmds: string[] = [];
    const vmCmds: string[] = [];
    for (let i = 1; i < taps; i++) {
      const b = bindings[i]!;
      const tapMac = `fe:00:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
      hvCmds.push(`link add ${b.tap} address ${tapMac} type veth peer name v${i} address ${b.mac} netns ${vmNs}`);
    }
    for (let i = 1; i < taps; i++) {
      hvCmds.push(`link set ${bindings[i]!.tap} up`);
      vmCmds.push(`link set v${i} up`);
    }
    const hvFile = lab.path('scale-hv.batch');
    const vmFile = lab.path('scale-vm.batch');
    writeFileSync(hvFile, hvCmds.join('\n') + '\n');
    writeFileSync(vmFile, vmCmds.join('\n') + '\n');
    await lab.run('hv', ['ip', '-batch', hvFile], { timeoutMs: 300_000 });
    await lab.run('tap0', ['ip', '-batch', vmFile], { timeoutMs: 300_000 });
    log(`scale lab: ${taps} veth pairs in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    const ifFile = lab.path('scale-ifs.txt');
    writeFileSync(ifFile, bindings.map((b, i) => `${i === 0 ? 'eth0' : `v${i}`} ${b.gateway6}`).join('\n') + '\n');
    return { lab, bindings, vmNs, ifFile };
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}

function raStats(g: GenResult, fromS: number, toS: number) {
  const per = g.ra_multicast.bucket_ms / 1000;
  const series = g.ra_multicast.series.slice(Math.floor(fromS / per), Math.floor(toS / per));
  const total = series.reduce((a, b) => a + b, 0);
  return { series, total, max: Math.max(0, ...series), mean: series.length ? total / series.length : 0 };
}

export async function runScale(o: ScaleOptions): Promise<ScaleResult> {
  const t0 = Date.now();
  const { lab, bindings, vmNs, ifFile } = await scaleLab(o.taps, o.log);
  const labSetupS = (Date.now() - t0) / 1000;
  let server: OnlinkdServer | undefined;
  try {
    // Phase 0: start-up as deployed, with every CPU of the machine (the later phases pin onlinkd to
    // the servers' CPU, as the comparison does; a one-CPU start opens the tap sockets in line).
    server = await startOnlinkd(lab, bindings, { pin: false });
    const readyAllCpus = server.readyMs;
    o.log(`scale: onlinkd (all CPUs) ready in ${readyAllCpus} ms (${server.readyStatus})`);
    await server.stop();
    server = undefined;

    // Phase A, ra_period short: the start-up RAs, then periodic RAs and RS on random taps.
    // (A restart, not SIGHUP: after a reload that changes ra_period the scheduler marks every tap down and
    // sends no periodic RA until the tap's link changes -- see BENCHMARKS.md.)
    const burstS = 10;
    const listener = startGenerator(lab, vmNs, { exchange: 'rs', mode: 'listen', durationS: burstS, warmupS: 0, timeoutS: 0, interfaceFile: ifFile });
    await sleep(300);
    server = await startOnlinkd(lab, bindings, { raPeriod: o.raPeriod });
    const readyA = server.readyMs;
    o.log(`scale: onlinkd (ra_period ${o.raPeriod}) ready in ${readyA} ms (${server.readyStatus})`);
    const burst = await listener.result;
    const startBurst = { totalRas: burst.ra_multicast.total, maxPer100ms: burst.ra_multicast.max_per_bucket, tapsWithRa: burst.ra_multicast.interfaces_with_ra, seconds: burstS };
    o.log(`scale: start-up RAs ${startBurst.totalRas} on ${startBurst.tapsWithRa} taps, largest 100 ms burst ${startBurst.maxPer100ms}`);
    const rsRun = await measure(
      lab,
      vmNs,
      server,
      bindings[0]!,
      'rs',
      { mode: 'pingpong', window: 1, durationS: o.raWindowS, warmupS: 0, timeoutS: 1 },
      0,
      { interfaceFile: ifFile, pick: 'random', rate: o.rsRate, raUnicastOnly: true, seed: 7 },
    );
    rsRun.server = `onlinkd (${o.taps} taps)`;
    o.log(describeRun(rsRun));
    const ra = raStats(rsRun.gen, 0, o.raWindowS);
    const periodic = {
      raPeriod: o.raPeriod,
      seconds: o.raWindowS,
      totalRas: ra.total,
      maxPer100ms: ra.max,
      meanPer100ms: ra.mean,
      tapsWithRa: rsRun.gen.ra_multicast.interfaces_with_ra,
      series: ra.series,
    };
    o.log(`scale: periodic RAs (ra_period ${o.raPeriod} s) ${ra.total} in ${o.raWindowS} s, mean ${ra.mean.toFixed(1)} / max ${ra.max} per 100 ms`);
    await server.stop();

    // Phase B, the default ra_period: ready time, idle cost, DORA, RS within the allowance, control plane.
    // The shipped RS limiter (3, then 1/s per tap): the RS figure below is within its allowance.
    server = await startOnlinkd(lab, bindings, { rsBurst: 3, rsRate: 1 });
    const pid = server.process.pid;
    const rssAtReady = memory(pid);
    o.log(`scale: onlinkd ready in ${server.readyMs} ms (${server.readyStatus}), RSS ${rssAtReady?.rssKb} kB`);
    const s0 = cpuSeconds(pid)!;
    const r0 = Date.now();
    await sleep(o.settleS * 1000);
    const settleCpu = cpuSeconds(pid)! - s0;
    const settleWall = (Date.now() - r0) / 1000;
    const settle = { seconds: settleWall, cpuS: settleCpu, cpuPct: (settleCpu / settleWall) * 100 };
    o.log(`scale: settling ${settle.cpuPct.toFixed(3)} % CPU over the first ${settleWall.toFixed(1)} s after ready`);
    const c0 = cpuSeconds(pid)!;
    const i0 = Date.now();
    await sleep(o.idleS * 1000);
    const idleCpu = cpuSeconds(pid)! - c0;
    const idleWall = (Date.now() - i0) / 1000;
    const idle = { seconds: idleWall, cpuS: idleCpu, cpuPct: (idleCpu / idleWall) * 100, rss: memory(pid) };
    o.log(`scale: idle ${idle.cpuPct.toFixed(3)} % CPU over ${idleWall.toFixed(1)} s, RSS ${idle.rss?.rssKb} kB`);

    const run = { mode: 'window' as const, window: 16, durationS: o.durationS, warmupS: o.warmupS, timeoutS: 1 };
    const doraOneTap = await measure(lab, vmNs, server, bindings[0]!, 'dora', run, 0, { interfaces: ['eth0'] });
    doraOneTap.server = `onlinkd (1 of ${o.taps} taps)`;
    o.log(describeRun(doraOneTap));
    const doraRandomTaps = await measure(lab, vmNs, server, bindings[0]!, 'dora', run, 0, { interfaceFile: ifFile, pick: 'random', seed: 11 });
    doraRandomTaps.server = `onlinkd (random of ${o.taps})`;
    o.log(describeRun(doraRandomTaps));

    // Every tap's RS allowance is full again after 3 s without RS.
    await sleep(3_500);
    const rsAllowance = await measure(
      lab,
      vmNs,
      server,
      bindings[0]!,
      'rs',
      { mode: 'window', window: 16, durationS: 60, warmupS: 0, timeoutS: 1 },
      0,
      { interfaceFile: ifFile, pick: 'rr', raUnicastOnly: true, count: 3 * o.taps },
    );
    rsAllowance.server = `onlinkd (${o.taps} taps, 3 RS each)`;
    o.log(describeRun(rsAllowance));

    // The scale figure: 4096 taps bound, after traffic, before the control test adds its own bindings.
    const rssBeforeControl = memory(pid);
    const control = await benchBindingAdd({
      socketPath: server.controlSocket,
      datapath: join(server.dir, 'bindings'),
      count: o.controlCount,
      connections: 4,
      pipeline: 16,
    });
    o.log(control.status === 'ok' ? `scale: binding-add ${control.addsPerS.toFixed(0)}/s (${control.ok} ok, ${control.errors} errors, p99 ${control.latencyMs.p99.toFixed(2)} ms)` : `scale: binding-add ${control.message}`);

    return {
      taps: o.taps,
      labSetupS,
      readyMs: server.readyMs,
      readyMsAllCpus: readyAllCpus,
      readyMsShortPeriod: readyA,
      readyStatus: server.readyStatus,
      rssAtReady,
      startBurst,
      idle,
      settle,
      periodic,
      rsWhilePeriodic: rsRun,
      doraOneTap,
      doraRandomTaps,
      rsAllowance,
      control,
      rssBeforeControl,
      rssAtEnd: memory(pid),
    };
  } catch (e) {
    if (server) o.log(`--- onlinkd log\n${server.logTail()}`);
    throw e;
  } finally {
    await server?.stop().catch(() => undefined);
    await lab.destroy();
  }
}
