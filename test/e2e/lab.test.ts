/**
 * Smoke test of the end-to-end lab itself: namespaces, veths, the quiet
 * hypervisor side, a client timing out against nobody, and a clean destroy().
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Lab, describeLab, labAvailable } from './lab.js';
import { dhclient, udhcpc } from './clients.js';

function netnsList(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5_000 });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

describe('labAvailable', () => {
  it('names what is missing instead of failing obscurely', () => {
    const av = labAvailable({ binaries: ['ip', 'olk-no-such-binary'] });
    expect(av.ok).toBe(false);
    if (!av.ok) expect(av.reason).toMatch(/olk-no-such-binary|root|Linux/);
  });
});

describeLab('e2e lab (smoke)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create({
      vms: [
        { tap: 'tap10', mac: 'aa:00:00:00:00:10' },
        { tap: 'tap11', mac: 'aa:00:00:00:00:11' },
      ],
      uplink: true,
    });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('gives each VM an eth0 with its MAC, up, and the hv the matching taps', async () => {
    for (const vm of lab.vms) {
      const link = await lab.run(vm, ['ip', '-o', 'link', 'show', 'dev', 'eth0']);
      expect(link).toContain(`link/ether ${vm.mac}`);
      expect(link).toMatch(/[<,]UP[,>]/);
    }
    const hvLinks = await lab.run('hv', ['ip', '-o', 'link', 'show']);
    expect(hvLinks).toMatch(/\btap10@/);
    expect(hvLinks).toMatch(/\btap11@/);
    expect(hvLinks).toMatch(/\buplink0@/);
    expect(await lab.run('uplink', ['ip', '-o', 'link', 'show', 'dev', 'eth0'])).toMatch(/UP/);
  });

  it('keeps the hypervisor side of each tap silent and address-less', async () => {
    const addrs = await lab.run('hv', ['ip', '-o', 'addr', 'show', 'dev', 'tap10']);
    expect(addrs.trim()).toBe('');
    const sysctl = await lab.run('hv', ['sysctl', '-n', 'net.ipv4.conf.tap10.arp_ignore', 'net.ipv4.conf.tap10.proxy_arp',
      'net.ipv6.conf.tap10.addr_gen_mode']);
    expect(sysctl.trim().split('\n')).toEqual(['8', '0', '1']);
  });

  it('carries frames between a VM and the hv tap (captured with tcpdump)', async () => {
    const cap = await lab.tcpdump('hv', 'tap10', 'arp', lab.path('smoke-arp.pcap'));
    // The VM asks for an address the hv would route; the hv must stay silent (arp_ignore=8, no address anyway).
    await lab.run('tap10', ['ip', 'addr', 'add', '203.0.113.10/24', 'dev', 'eth0']);
    const arping = await lab.exec('tap10', ['busybox', 'arping', '-c', '2', '-w', '2', '-I', 'eth0', '-s', '203.0.113.10', '203.0.113.1'],
      { timeoutMs: 5_000 });
    expect(arping.stdout).toMatch(/Received 0 response/);
    await cap.stop();
    const frames = cap.frames();
    expect(frames.length).toBeGreaterThan(0);
    // Only the VM speaks: every captured ARP frame has the VM's source MAC.
    for (const f of frames) expect(Buffer.from(f.subarray(6, 12)).toString('hex')).toBe('aa0000000010');
  });

  it('returns null when no server answers, within the bound', async () => {
    const t0 = Date.now();
    const [a, b] = await Promise.all([
      dhclient(lab, lab.vm('tap10'), { timeoutSec: 2 }),
      udhcpc(lab, lab.vm('tap11'), { timeoutSec: 2 }),
    ]);
    expect(a).toBeNull();
    expect(b).toBeNull();
    expect(Date.now() - t0).toBeLessThan(8_000);
  });

  it('adds and removes taps after creation', async () => {
    const vm = await lab.addVm({ tap: 'tap12', mac: 'aa:00:00:00:00:12' });
    expect(await lab.run(vm, ['ip', '-o', 'link', 'show', 'dev', 'eth0'])).toContain('aa:00:00:00:00:12');
    expect(netnsList()).toContain(vm.ns);
    await lab.removeTap('tap12');
    expect(await lab.run('hv', ['ip', '-o', 'link', 'show'])).not.toMatch(/\btap12@/);
    expect(netnsList()).not.toContain(vm.ns);
  });

  it('destroy() removes every namespace, kills what it started and is idempotent', async () => {
    const extra = await Lab.create({ vms: [{ tap: 'tap20', mac: 'aa:00:00:00:00:20' }] });
    const names = [extra.hvNs, extra.vm('tap20').ns];
    const sleeper = extra.spawn('tap20', ['sleep', '600']);
    expect(netnsList()).toEqual(expect.arrayContaining(names));
    await Promise.all([extra.destroy(), extra.destroy()]);
    await extra.destroy();
    const left = netnsList().filter((n) => n.startsWith(extra.id));
    expect(left).toEqual([]);
    expect(sleeper.exitStatus).toBeDefined();
    expect(existsSync(`/proc/${sleeper.pid}`)).toBe(false);
    expect(existsSync(extra.dir)).toBe(false);
  });
});
