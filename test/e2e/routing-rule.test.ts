/**
 * `[routing] rule = yes`, end to end (README "Routed hypervisors", issue 15
 * item 3): with `table = 100`, onlinkd puts each bound VM's host routes in
 * table 100 and adds `iif TAP lookup 100` (IPv4 and IPv6, pref 32700,
 * proto 183) per tap over netlink. The VM reaches an address that only
 * table 100 routes (the hypervisor's main table has no route to it); the
 * test adds, as the operator would, the uplink's rule so replies find the
 * VM routes in table 100. A restart changes no rule (`ip monitor rule`), a
 * stale proto-183 rule left from before is removed and another protocol's
 * kept, unbinding and deleting a tap remove its rules (a rule naming a
 * deleted interface would otherwise stay, `[detached]`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab, describeLab, waitFor } from './lab.js';
import type { Onlinkd } from './onlinkd.js';
import { restartWatched, routedPairLab, startRoutedPair } from './routed-taps.js';

const CONFIG = `[arp]
responder = yes
[routing]
manage = yes
table = 100
rule = yes
`;

/** Only table 100 routes it: an address on the router's loopback, outside the hypervisor's uplink /25. */
const FAR = '198.51.100.200';
const FAR6 = '2001:db8:ee::1';

describeLab('routed hypervisor: [routing] rule = yes', () => {
  let lab: Lab;
  let d: Onlinkd;

  /** `ip rule` lines of protocol 183 (both families; iproute2 6.1 does not filter rules by protocol), `-4 `/`-6 ` first, blanks as one space. */
  const ourRules = async (): Promise<string[]> => {
    const v4 = await lab.run('hv', ['ip', '-4', 'rule', 'show']);
    const v6 = await lab.run('hv', ['ip', '-6', 'rule', 'show']);
    const lines = (fam: string, text: string) => text.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => / proto 183$/.test(l)).map((l) => `${fam} ${l}`);
    return [...lines('-4', v4), ...lines('-6', v6)].sort();
  };
  const rulesOf = (n: number): string[] => [`-4 32700: from all iif tap${n} lookup 100 proto 183`, `-6 32700: from all iif tap${n} lookup 100 proto 183`];

  beforeAll(async () => {
    lab = await routedPairLab(async (l) => {
      // Left from an earlier run: one of onlinkd's own rules no binding wants (its tap is gone), and a static one of the administrator's.
      await l.run('hv', ['ip', 'rule', 'add', 'iif', 'tap42', 'lookup', '100', 'pref', '32700', 'proto', '183']);
      await l.run('hv', ['ip', 'rule', 'add', 'iif', 'tap43', 'lookup', '100', 'pref', '32700', 'proto', 'static']);
    });
    // The upstream router: a /25 towards the hypervisor, FAR on its loopback, the VMs' subnet via the hypervisor.
    await lab.run('uplink', ['ip', 'addr', 'add', '198.51.100.1/25', 'dev', 'eth0']);
    await lab.run('uplink', ['ip', 'addr', 'add', `${FAR}/32`, 'dev', 'lo']);
    await lab.run('uplink', ['ip', 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.2']);
    // The operator's side of the seed's routed setup: table 100 leads to the router, and what comes from the uplink is routed by table 100 (where the VM routes are).
    await lab.run('hv', ['ip', 'addr', 'add', '198.51.100.2/25', 'dev', 'uplink0']);
    await lab.run('hv', ['ip', 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'uplink0', 'table', '100']);
    await lab.run('hv', ['ip', 'rule', 'add', 'iif', 'uplink0', 'lookup', '100', 'pref', '1000']);
    d = await startRoutedPair(lab, CONFIG);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('adds iif TAP lookup 100 for each tap and family with proto 183; routes in table 100, not main; the stale rule goes, the static one stays', async () => {
    await waitFor('rules installed', async () => ((await ourRules()).length === 4 ? true : undefined), 3_000);
    expect(await ourRules()).toEqual([...rulesOf(40), ...rulesOf(41)].sort());
    expect(await lab.run('hv', ['ip', 'rule', 'show', 'iif', 'tap43'])).toMatch(/32700:\s+from all iif tap43 \[detached\] lookup 100 proto static/);
    expect(await lab.run('hv', ['ip', '-4', 'route', 'show', 'table', '100', 'proto', '183'])).toMatch(/^203\.0\.113\.40 dev tap40 scope link/m);
    expect(await lab.run('hv', ['ip', '-6', 'route', 'show', 'table', '100', 'proto', '183'])).toMatch(/^2001:db8:40:0:a800:ff:fe00:40 dev tap40/m);
    expect(await lab.run('hv', ['ip', 'route', 'show', 'table', 'main', 'proto', '183'])).toBe('');
    // onlinkctl routes lists the same rules (the stale one is swept, so not among them) and the setting in force.
    const r = await d.ctl(['--json', 'routes']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as { rule: boolean; taps: Array<{ tap: string; rules: Array<{ family: string; iif: string; table: number; priority: number }> }> };
    expect(a.rule).toBe(true);
    expect(a.taps.map((t) => ({ tap: t.tap, rules: t.rules }))).toEqual(
      [40, 41].map((n) => ({ tap: `tap${n}`, rules: ['ipv4', 'ipv6'].map((family) => ({ family, iif: `tap${n}`, table: 100, priority: 32700 })) })),
    );
  });

  it('the VM\'s traffic is routed by table 100: it reaches an address main has no route to', async () => {
    // Control: the hypervisor's own lookup (main) cannot route FAR; a packet in from tap40 is routed by table 100.
    expect((await lab.exec('hv', ['ip', 'route', 'get', FAR])).code).not.toBe(0);
    expect(await lab.run('hv', ['ip', 'route', 'get', FAR, 'from', '203.0.113.40', 'iif', 'tap40'])).toMatch(/via 198\.51\.100\.1 dev uplink0 table 100/);
    const r = await lab.exec('tap40', ['busybox', 'ping', '-c', '1', '-W', '2', FAR], { timeoutMs: 5_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // IPv6 has a rule list of its own: the same lookup for a packet in from tap40.
    await lab.run('hv', ['ip', '-6', 'route', 'add', FAR6, 'dev', 'uplink0', 'table', '100']);
    expect((await lab.exec('hv', ['ip', '-6', 'route', 'get', FAR6])).stdout).not.toMatch(/table 100/);
    expect(await lab.run('hv', ['ip', '-6', 'route', 'get', FAR6, 'from', '2001:db8:40::a800:ff:fe00:40', 'iif', 'tap40'])).toMatch(/dev uplink0 table 100/);
  });

  it('a restart changes no wanted rule (netlink monitor); unbinding removes the tap\'s rules', async () => {
    // Positive control for the monitor: an unbind (tap41) is seen there.
    const r = await restartWatched(lab, d, CONFIG, { object: 'rule', about: /tap4[01]/, ours: ourRules, unbind: 'tap41', deleted: /^Deleted .*iif tap41/ });
    expect(r.changed).toEqual([]);
    expect(r.kept).toHaveLength(4);
    expect(await ourRules()).toEqual(rulesOf(40));
  });

  it('a deleted tap takes its rules away (they would stay, [detached])', async () => {
    expect(await ourRules()).toEqual(rulesOf(40));
    await lab.removeTap('tap40');
    await waitFor('tap40 rules gone', async () => ((await ourRules()).length === 0 ? true : undefined), 3_000);
  });
});
