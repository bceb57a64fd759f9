/**
 * Routed hypervisor, upstream side (issue 15, README "Routed hypervisors"):
 * the router has the VMs' subnets on-link on its segment and resolves
 * their addresses with ARP and NS; onlinkd answers those on the uplink for
 * exactly the bound, routed VMs (and installs the host routes), so with no
 * host route, proxy_arp or proxy_ndp made by the test:
 *  - after `onlinkctl bind` the router pings the VM's IPv4 and IPv6 address
 *    and the VM pings the router, within 2 s; after `unbind` all fail;
 *  - an ARP/NS for an address not bound here gets no answer (after a
 *    positive control for a bound one);
 *  - a second hypervisor taking the VM over (unbind on one, bind — which
 *    announces — on the other) moves reachability within 2 s, and the first
 *    no longer answers ARP/NS for it.
 *
 *   VM40 ── tap40 ─ hv  ─ uplink0 ──┐
 *                                   br0 router: 203.0.113.1/24, 2001:db8:40::1/64 on-link
 *   VM40' ─ tap50 ─ hv2 ─ uplink0 ──┘          198.51.100.1/24, 2001:db8:ff::1/64 (hosts)
 *
 * The hypervisors have their own uplink addresses (198.51.100.2-3,
 * 2001:db8:ff::2-3) and a default route via the router: the host's own
 * network set-up, nothing per VM. Their taps keep the kernel's IPv6
 * defaults (a link-local), as a real hypervisor's do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, describeLab, sleep, waitFor } from './lab.js';
import { Onlinkd } from './onlinkd.js';

const CONFIG = `[arp]
responder = yes
[routing]
manage = yes
[announce]
uplink = uplink0
uplink6 = uplink0
`;
const VM_MAC = 'aa:00:00:00:00:40';
const VM4 = '203.0.113.40';
/** The VM's SLAAC address from onlinkd's RA (EUI-64 of its MAC), as ip(8) prints it (RFC 5952: no '::' for one zero field). */
const VM6 = '2001:db8:40:0:a800:ff:fe00:40';
const BIND = ['--mac', VM_MAC, '--ip', VM4, '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1',
  '--subnet6', '2001:db8:40::/64', '--gateway6', '2001:db8:40::1', '--eui64', VM6];

describeLab('routed hypervisor: ARP/NS answered on the uplink for bound VMs only', () => {
  let lab: Lab;
  let hv2: string;
  let d1: Onlinkd;
  let d2: Onlinkd;
  const uplinkMac: Record<string, string> = {};

  const ok = async (ns: string, argv: string[], timeoutMs = 4_000): Promise<boolean> => (await lab.exec(ns, argv, { timeoutMs })).code === 0;
  /** One echo within 1 s (the 2 s budget is polled in waitFor). */
  const ping = (ns: string, to: string): Promise<boolean> => ok(ns, ['busybox', 'ping', '-c', '1', '-W', '1', to]);
  /**
   * Pings until an echo comes back; returns when that ping was sent, in ms
   * after `t0`, which must be under 2 s (each ping waits 1 s at most).
   */
  const reached = async (ns: string, to: string, t0: number): Promise<number> => {
    for (;;) {
      const sent = Date.now() - t0;
      if (sent > 2_000) throw new Error(`${to} not reached from ${ns} within 2 s`);
      if (await ping(ns, to)) return sent;
      await sleep(100);
    }
  };
  /** ARP replies the router gets for `ip`: the MACs they came from. */
  const arpAnswers = async (ip: string): Promise<string[]> => {
    const r = await lab.exec('uplink', ['busybox', 'arping', '-c', '2', '-w', '2', '-I', 'br0', '-s', '203.0.113.1', ip], { timeoutMs: 5_000 });
    return [...new Set([...r.stdout.matchAll(/reply from \S+ \[([0-9a-f:]+)\]/gi)].map((m) => m[1]!.toLowerCase()))];
  };
  /** NA answers the router gets for `ip` (ndisc6 -m: every one). */
  const nsAnswers = async (ip: string): Promise<string[]> => {
    const r = await lab.exec('uplink', ['ndisc6', '-m', '-n', '-r', '2', '-w', '700', ip, 'br0'], { timeoutMs: 5_000 });
    return [...new Set([...r.stdout.matchAll(/Target link-layer address: ([0-9A-F:]+)/gi)].map((m) => m[1]!.toLowerCase()))];
  };
  const routerNeighbour = async (ip: string): Promise<string | undefined> => {
    const out = await lab.run('uplink', ['ip', 'neigh', 'show', ip, 'dev', 'br0']);
    return /lladdr ([0-9a-f:]+)/.exec(out)?.[1];
  };

  /** A hypervisor: uplink0 to the router's bridge, its own addresses, forwarding, a default route. */
  const hypervisor = async (ns: string, n: number, bridgePort: string): Promise<void> => {
    if (ns !== lab.hvNs) await lab.link(ns, 'uplink0', 'uplink', bridgePort);
    await lab.run('uplink', ['ip', 'link', 'set', bridgePort, 'master', 'br0']);
    await lab.sysctl(ns, { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.conf.uplink0.accept_dad': 0 });
    await lab.run(ns, ['ip', 'addr', 'add', `198.51.100.${n}/24`, 'dev', 'uplink0']);
    await lab.run(ns, ['ip', '-6', 'addr', 'add', `2001:db8:ff::${n}/64`, 'dev', 'uplink0', 'nodad']);
    // The lab's own uplink0 is made without a link-local (kept quiet for other tests); a real uplink has one,
    // and the kernel needs it to resolve the router for a forwarded packet (the NS's source).
    if (ns === lab.hvNs) await lab.run(ns, ['ip', '-6', 'addr', 'add', `fe80::${n}/64`, 'dev', 'uplink0', 'nodad']);
    await lab.run(ns, ['ip', 'route', 'add', 'default', 'via', '198.51.100.1']);
    await lab.run(ns, ['ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:ff::1']);
    uplinkMac[ns] = JSON.parse(await lab.run(ns, ['ip', '-j', 'link', 'show', 'uplink0']))[0].address;
  };

  /**
   * The VM's own side: static IPv4; IPv6 from onlinkd's RA (SLAAC with
   * EUI-64, default route), or, for the VM that arrives by live migration,
   * the address it already holds.
   */
  const vm = async (tap: string, migrated = false): Promise<void> => {
    await lab.run(tap, ['ip', 'addr', 'add', `${VM4}/24`, 'dev', 'eth0']);
    await lab.run(tap, ['ip', 'route', 'add', 'default', 'via', '203.0.113.1']);
    if (migrated) await lab.run(tap, ['ip', '-6', 'addr', 'add', `${VM6}/64`, 'dev', 'eth0', 'nodad']);
  };

  beforeAll(async () => {
    lab = await Lab.create({ uplink: true });
    await lab.run('uplink', ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    await lab.sysctl('uplink', { 'net.ipv6.conf.br0.accept_dad': 0 });
    await lab.run('uplink', ['ip', 'link', 'set', 'br0', 'up']);
    for (const a of ['198.51.100.1/24', '203.0.113.1/24']) await lab.run('uplink', ['ip', 'addr', 'add', a, 'dev', 'br0']);
    for (const a of ['2001:db8:ff::1/64', '2001:db8:40::1/64']) await lab.run('uplink', ['ip', '-6', 'addr', 'add', a, 'dev', 'br0', 'nodad']);
    await hypervisor(lab.hvNs, 2, 'eth0');
    hv2 = await lab.addHypervisor('hv2');
    await hypervisor(hv2, 3, 'eth1');
    await lab.addVm({ tap: 'tap40', mac: VM_MAC, kernelIpv6: true });
    await lab.addVm({ tap: 'tap50', mac: VM_MAC, kernelIpv6: true, hv: hv2 }); // the same VM after migration
    await vm('tap40');
    await vm('tap50', true);
    d1 = new Onlinkd(lab, 'onlinkd1');
    d2 = new Onlinkd(lab, 'onlinkd2', hv2);
    await d1.start(CONFIG);
    await d2.start(CONFIG);
  }, 60_000);

  afterAll(async () => {
    await d1?.stop();
    await d2?.stop();
    await lab?.destroy();
  });

  describe('one hypervisor', () => {
    it('before any binding: the router finds nothing (no proxy_arp, no route)', async () => {
      expect(await arpAnswers(VM4)).toEqual([]);
      expect(await ping('uplink', VM4)).toBe(false);
    });

    it('after bind: router ⇄ VM over IPv4 and IPv6 within 2 s', async () => {
      const bound = await d1.ctl(['bind', 'tap40', ...BIND]);
      expect(bound.code, bound.stdout + bound.stderr).toBe(0);
      const t0 = Date.now();
      const v4 = await Promise.all([reached('uplink', VM4, t0), reached('tap40', '203.0.113.1', t0)]);
      // IPv6: the VM configures its address from onlinkd's RA (SLAAC, then DAD ~1 s): counted from there.
      await waitFor('the VM has its EUI-64 address', async () => ((await lab.run('tap40', ['ip', '-6', 'addr', 'show', 'dev', 'eth0'])).includes(`${VM6}/64 scope global dynamic`) ? true : undefined), 8_000);
      const t1 = Date.now();
      const v6 = await Promise.all([reached('uplink', VM6, t1), reached('tap40', '2001:db8:40::1', t1)]);
      process.stderr.write(`routing-uplink: router→VM, VM→router reached ${v4.join(', ')} ms after bind (IPv4), ${v6.join(', ')} ms after SLAAC (IPv6)\n`);
      // It is onlinkd's answer the router uses: the hypervisor's uplink MAC, for both families.
      expect(await routerNeighbour(VM4)).toBe(uplinkMac[lab.hvNs]);
      expect(await routerNeighbour(VM6)).toBe(uplinkMac[lab.hvNs]);
      // And the hv kernel answers nothing itself: proxy_arp and proxy_ndp stay off.
      expect((await lab.run('hv', ['sysctl', '-n', 'net.ipv4.conf.uplink0.proxy_arp', 'net.ipv6.conf.uplink0.proxy_ndp'])).split('\n').filter(Boolean)).toEqual(['0', '0']);
      // onlinkctl routes shows what the proxy answers for: VM4 and VM6 (EUI64 is the SLAAC address, one address).
      const routes = await d1.ctl(['--json', 'routes']);
      expect(routes.code, routes.stderr).toBe(0);
      expect(JSON.parse(routes.stdout).uplinks).toEqual([{ uplink: 'uplink0', ipv4Addresses: 1, ipv6Addresses: 1, listening: true }]);
    });

    it('answers ARP/NS for the bound addresses only (positive control first)', async () => {
      expect(await arpAnswers(VM4)).toEqual([uplinkMac[lab.hvNs]]);
      expect(await nsAnswers(VM6)).toEqual([uplinkMac[lab.hvNs]]);
      // Routable through the hypervisor (its default route) but bound to no VM here.
      expect(await arpAnswers('203.0.113.77')).toEqual([]);
      expect(await nsAnswers('2001:db8:40::77')).toEqual([]);
      const stats = JSON.parse((await d1.ctl(['--json', 'stats'])).stdout);
      expect(JSON.stringify(stats)).toMatch(/"proxy-arp":\d+/);
      expect(JSON.stringify(stats)).toMatch(/"uplink-not-bound":\d+/);
    });
  });

  describe('migration to a second hypervisor', () => {
    it('unbind on one, bind on the other: reachability moves within 2 s, the first answers no more', async () => {
      expect((await d1.ctl(['unbind', 'tap40'])).code).toBe(0);
      const bound = await d2.ctl(['bind', 'tap50', ...BIND]); // bind announces (GARP, unsolicited NA) on a tap that is up
      expect(bound.code, bound.stdout + bound.stderr).toBe(0);
      const t0 = Date.now();
      const [v4, v6] = await Promise.all([reached('uplink', VM4, t0), reached('uplink', VM6, t0)]);
      process.stderr.write(`routing-uplink: reachable through hv2 ${v4} ms (IPv4), ${v6} ms (IPv6) after the bind\n`);
      expect(await routerNeighbour(VM4)).toBe(uplinkMac[hv2]);
      expect(await routerNeighbour(VM6)).toBe(uplinkMac[hv2]);
      // Only the new host answers now.
      expect(await arpAnswers(VM4)).toEqual([uplinkMac[hv2]]);
      expect(await nsAnswers(VM6)).toEqual([uplinkMac[hv2]]);
      // The VM on the new host reaches the router.
      expect(await ping('tap50', '203.0.113.1')).toBe(true);
      expect(await ping('tap50', '2001:db8:40::1')).toBe(true);
      // hv has no route left for it.
      expect(await lab.run('hv', ['ip', 'route', 'show', 'proto', '183'])).toBe('');
    });

    it('after unbind everywhere: nothing answers, nothing reaches the VM', async () => {
      expect((await d2.ctl(['unbind', 'tap50'])).code).toBe(0);
      await sleep(200);
      expect(await arpAnswers(VM4)).toEqual([]);
      expect(await nsAnswers(VM6)).toEqual([]);
      await lab.run('uplink', ['ip', 'neigh', 'flush', 'dev', 'br0']);
      expect(await ping('uplink', VM4)).toBe(false);
      expect(await ping('uplink', VM6)).toBe(false);
      expect(await ping('tap50', '203.0.113.1')).toBe(false);
      expect(await lab.run(hv2, ['ip', 'route', 'show', 'proto', '183'])).toBe('');
      expect(await lab.run(hv2, ['ip', '-6', 'route', 'show', 'proto', '183'])).toBe('');
    });
  });
});
