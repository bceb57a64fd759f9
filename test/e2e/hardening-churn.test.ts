/**
 * Hardening, churn (issue 6 items 2-3): taps with bindings created and
 * deleted over and over while traffic flows — bindings by control socket
 * and by file, before and after their tap, removed before and after it, a
 * guest flooding while its tap disappears, taps flapping and renamed — and
 * a tap recreated under the same name for a different VM must be answered
 * for the new binding only. The daemon must not crash, leak (RSS, open
 * file descriptors, per-tap state) or answer from a stale binding.
 *
 * Short form: 100 cycles. Long form: HARDENING_LONG=1 (1000) or
 * HARDENING_CHURN_CYCLES=N.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { Lab, describeLab, sleep } from './lab.js';
import { Onlinkd } from './onlinkd.js';
import { dualStackBinding, ensureTool, hwmKb, knob, probe, rssKb } from './hardening-util.js';

const CYCLES = knob('CHURN_CYCLES', 100, 1000);
const STEADY = { tap: 'tap70', mac: 'aa:00:00:00:00:70' };

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');

/** The two VMs that take turns on tap `ch<k>`: different MACs, addresses and prefixes. */
function vmOf(k: number, second: boolean) {
  return {
    tap: `ch${k}`,
    mac: `aa:0${second ? 2 : 1}:00:00:${hex2(k >> 8)}:${hex2(k)}`,
    ip: second ? '198.51.100.22' : '198.51.100.11',
    subnet6: second ? '2001:db8:c2::/64' : '2001:db8:c1::/64',
  };
}

function bindingFile(v: ReturnType<typeof vmOf>): string {
  return [`MAC=${v.mac}`, `IP=${v.ip}`, 'SUBNET=198.51.100.0/24', 'GATEWAY=198.51.100.1', `SUBNET6=${v.subnet6}`].join('\n') + '\n';
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

describeLab('hardening: tap and binding churn under traffic', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    ensureTool('olkflood');
    ensureTool('olkprobe');
    lab = await Lab.create({ vms: [STEADY] });
    d = new Onlinkd(lab);
    d.writeBinding(STEADY.tap, dualStackBinding(70));
    await d.start();
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  const ctl = (command: string, args?: Record<string, unknown>) => request(d.socketPath, command, args, { timeoutMs: 5_000 });

  /** Until binding-get shows the tap attached with this MAC (bounded). */
  async function waitAttached(tap: string, mac: string): Promise<void> {
    const end = Date.now() + 5_000;
    for (;;) {
      const r = await ctl('binding-get', { tap });
      const a = r.arguments as { state?: string; binding?: { mac?: string } } | undefined;
      if (r.result === 0 && a?.state === 'attached' && a.binding?.mac === mac) return;
      if (Date.now() > end) throw new Error(`${tap} not attached with ${mac} after 5 s: ${JSON.stringify(r)}`);
      await sleep(5);
    }
  }

  async function addBinding(v: ReturnType<typeof vmOf>, byFile: boolean): Promise<void> {
    if (byFile) {
      d.writeBinding(v.tap, bindingFile(v));
      return;
    }
    const r = await ctl('binding-add', {
      tap: v.tap, mac: v.mac, ip: v.ip, subnet: '198.51.100.0/24', gateway: '198.51.100.1', subnet6: v.subnet6,
    });
    expect(r.result, r.text).toBe(0);
  }

  async function removeBinding(tap: string, byFile: boolean): Promise<void> {
    if (byFile) unlinkSync(join(d.datapath, tap));
    else expect((await ctl('binding-del', { tap })).result).toBe(0);
  }

  async function expectAnsweredOnlyFor(v: ReturnType<typeof vmOf>, stale: ReturnType<typeof vmOf> | undefined, cycle: number): Promise<void> {
    const macs = [...(stale ? [stale.mac] : []), v.mac];
    const [dhcp, rs] = await Promise.all([probe(lab, v.tap, 'dhcp', macs, 2_000), probe(lab, v.tap, 'rs', macs, 2_000)]);
    const last = (a: typeof dhcp) => a[a.length - 1]!;
    if (!last(dhcp).answered || !last(rs).answered) {
      // Diagnostics before failing: deaf for good, or only slow? What did the daemon see?
      const again = await probe(lab, v.tap, 'dhcp', [v.mac], 2_000);
      const stats = await ctl('statistic-get', { tap: v.tap }).catch((e: Error) => e.message);
      const get = await ctl('binding-get', { tap: v.tap }).catch((e: Error) => e.message);
      const logs = d.process.stdoutLines.filter((l) => l.includes(`"${v.tap}"`) || l.includes('"tap":"rn')).slice(-25);
      console.log(`HARDENING_CHURN_DIAG ${JSON.stringify({ cycle, dhcp, rs, again, stats, get })}\n${logs.join('\n')}`);
    }
    expect({ cycle, dhcp: last(dhcp).answered, ip: last(dhcp).yiaddr }).toEqual({ cycle, dhcp: true, ip: v.ip });
    expect({ cycle, rs: last(rs).answered, prefix: last(rs).prefix }).toEqual({ cycle, rs: true, prefix: v.subnet6 });
    if (stale) {
      // The previous VM on this tap name: its MAC no longer has a binding here.
      expect({ cycle, staleDhcp: dhcp[0]!.answered, staleRs: rs[0]!.answered }).toEqual({ cycle, staleDhcp: false, staleRs: false });
    }
  }

  async function renameTap(from: string, to: string): Promise<void> {
    await lab.run('hv', ['ip', 'link', 'set', 'dev', from, 'down']);
    await lab.run('hv', ['ip', 'link', 'set', 'dev', from, 'name', to]);
    await lab.run('hv', ['ip', 'link', 'set', 'dev', to, 'up']);
  }

  it(`${CYCLES} create/delete cycles: no crash, no leak, no stale answer`, async () => {
    const pid = d.process.pid;
    // Background traffic: the steady VM floods (over its rate, so its socket is paused and resumed all along).
    const bgSeconds = Math.max(20, CYCLES * 0.6);
    const background = lab.spawn(STEADY.tap, [ensureTool('olkflood'), '--duration', String(bgSeconds), '--rate', '3000',
      '--ns-target', '2001:db8:70::1']);
    let rssAfterWarmup = 0;
    /** RSS every tenth of the run: a leak grows with the cycles, heap growth levels off. */
    const rssSeries: number[] = [];
    let fdsAfterWarmup = 0;
    const t0 = Date.now();
    const extra = { flaps: 0, renames: 0 };
    for (let i = 0; i < CYCLES; i++) {
      const k = Math.floor(i / 2);
      const second = i % 2 === 1;
      const v = vmOf(k, second);
      const byFile = i % 4 === 1 || i % 4 === 3;
      const bindingFirst = i % 4 === 1 || i % 4 === 2;
      if (bindingFirst) await addBinding(v, byFile);
      await lab.addVm({ tap: v.tap, mac: v.mac });
      if (!bindingFirst) await addBinding(v, byFile);
      await waitAttached(v.tap, v.mac);
      await expectAnsweredOnlyFor(v, second ? vmOf(k, false) : undefined, i);

      if (i % 10 === 5) {
        // Flapping: down, then up again; answers resume.
        extra.flaps++;
        await lab.setTapUp(v.tap, false);
        await sleep(20);
        await lab.setTapUp(v.tap, true);
        await waitAttached(v.tap, v.mac);
        await expectAnsweredOnlyFor(v, undefined, i);
      }
      if (i % 25 === 7) {
        // Renamed away (no binding for the new name: not answered), then back.
        extra.renames++;
        await renameTap(v.tap, `rn${k}`);
        const away = await probe(lab, v.tap, 'dhcp', [v.mac], 300);
        expect({ cycle: i, renamedAwayAnswered: away[0]!.answered }).toEqual({ cycle: i, renamedAwayAnswered: false });
        await renameTap(`rn${k}`, v.tap);
        await waitAttached(v.tap, v.mac);
        await expectAnsweredOnlyFor(v, undefined, i);
      }

      // The guest floods while its tap goes away; the binding goes before or after the tap.
      lab.spawn(v.tap, [ensureTool('olkflood'), '--duration', '5', '--rate', '20000']);
      await sleep(10);
      if (second) await removeBinding(v.tap, byFile);
      await lab.removeTap(v.tap);
      if (!second) await removeBinding(v.tap, byFile);
      if (i === Math.min(9, CYCLES - 1)) {
        rssAfterWarmup = rssKb(pid);
        fdsAfterWarmup = fdCount(pid);
      }
      if ((i + 1) % Math.max(1, Math.floor(CYCLES / 10)) === 0) rssSeries.push(rssKb(pid));
    }
    const churnS = (Date.now() - t0) / 1000;
    await sleep(200); // let the last removals settle (watcher, netlink)

    // Still serving the steady VM (its flood is rate-limited, its exchanges get through within the rate).
    await background.kill();
    await sleep(1_100); // its bucket refills
    const steady = await probe(lab, STEADY.tap, 'dhcp', [STEADY.mac], 2_000);
    expect(steady[0]).toMatchObject({ answered: true, yiaddr: '203.0.113.70' });

    const status = await ctl('status-get');
    expect(status.result).toBe(0);
    const st = status.arguments as { bindings: number; attached: number };
    expect({ bindings: st.bindings, attached: st.attached }).toEqual({ bindings: 1, attached: 1 });
    const stats = (await ctl('statistic-get')).arguments as { taps: Record<string, { drops: Record<string, number> }> };
    const leftover = Object.keys(stats.taps).filter((t) => t !== STEADY.tap);

    const logs = d.logs();
    const internal = logs.filter((l) => /internal error|uncaught/i.test(l.msg));
    const socketErrors = logs.filter((l) => l.msg === 'cannot open a packet socket on the tap; its guest is not answered');
    const out = {
      cycles: CYCLES,
      churn_s: Math.round(churnS * 10) / 10,
      flaps: extra.flaps,
      renames: extra.renames,
      daemon: {
        rss_kb_after_warmup: rssAfterWarmup,
        rss_kb_end: rssKb(pid),
        rss_kb_peak: hwmKb(pid),
        rss_kb_every_tenth: rssSeries,
        fds_after_warmup: fdsAfterWarmup,
        fds_end: fdCount(pid),
      },
      steady_tap_drops: stats.taps[STEADY.tap]?.drops,
      stats_of_removed_taps: leftover.length,
      log_lines: logs.length,
    };
    console.log(`HARDENING_CHURN ${JSON.stringify(out)}`);
    expect(d.process.exitStatus).toBeUndefined();
    expect(internal).toEqual([]);
    expect(socketErrors).toEqual([]);
    // No per-tap state left behind for taps that are gone, no socket left open.
    expect(leftover).toEqual([]);
    expect(out.daemon.fds_end).toBeLessThanOrEqual(fdsAfterWarmup);
    // RSS: the same after 10 cycles and after all of them within the GC's sawtooth (measured: ~78..105 MB over
    // 1000 cycles), and the troughs do not rise: the lowest reading of the second half is not above the first's.
    expect(out.daemon.rss_kb_end - rssAfterWarmup).toBeLessThan(40 * 1024);
    const h = Math.ceil(rssSeries.length / 2);
    if (rssSeries.length >= 4) expect(Math.min(...rssSeries.slice(h)) - Math.min(...rssSeries.slice(0, h))).toBeLessThan(10 * 1024);
  }, 600_000);
});
