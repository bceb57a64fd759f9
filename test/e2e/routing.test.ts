/**
 * Routed hypervisor, end to end (README "Routed hypervisors", issue 15):
 * with `[routing] manage = yes` onlinkd installs each bound VM's host routes
 * (IP/32, EUI64/128) to its tap over netlink with protocol 183; the router
 * namespace reaches the VM through them (the test makes no host route);
 * a restart changes no route (watched with `ip monitor route`), removes its
 * own stale route and leaves another protocol's; unbinding and deleting the
 * tap take the routes away; `onlinkctl routes` lists what it keeps.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab, describeLab, waitFor } from './lab.js';
import type { Onlinkd } from './onlinkd.js';
import { restartWatched, routedPairLab, startRoutedPair } from './routed-taps.js';

const CONFIG = `[arp]
responder = yes
[routing]
manage = yes
`;

describeLab('routed hypervisor: host routes over netlink', () => {
  let lab: Lab;
  let d: Onlinkd;

  /** `ip route` lines of onlinkd's protocol (both families), trimmed. */
  const ours = async (): Promise<string[]> => {
    const v4 = await lab.run('hv', ['ip', '-4', 'route', 'show', 'table', 'main', 'proto', '183']);
    const v6 = await lab.run('hv', ['ip', '-6', 'route', 'show', 'table', 'main', 'proto', '183']);
    return `${v4}${v6}`.split('\n').map((l) => l.trim().replace(/ linkdown$/, '')).filter(Boolean).sort();
  };

  /** What `onlinkctl routes --json` lists, one `TAP FAMILY DESTINATION OIF TABLE` each, sorted. */
  const listed = async (): Promise<string[]> => {
    const r = await d.ctl(['routes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as { manage: boolean; taps: Array<{ tap: string; routes: Array<Record<string, unknown>> }> };
    expect(a.manage).toBe(true);
    return a.taps.flatMap((t) => t.routes.map((x) => `${t.tap} ${x.family} ${x.destination} ${x.oif} ${x.table}`)).sort();
  };

  beforeAll(async () => {
    lab = await routedPairLab(async (l) => {
      // Left from an earlier run: one of onlinkd's own routes no binding wants, and the administrator's.
      await l.run('hv', ['ip', 'route', 'add', '203.0.113.99/32', 'dev', 'tap41', 'proto', '183']);
      await l.run('hv', ['ip', 'route', 'add', '203.0.113.98/32', 'dev', 'tap41', 'proto', 'static']);
    });
    // The upstream router and the hypervisor's own uplink address: nothing about the VMs.
    await lab.run('uplink', ['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0']);
    await lab.run('uplink', ['ip', 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.2']);
    await lab.run('hv', ['ip', 'addr', 'add', '198.51.100.2/24', 'dev', 'uplink0']);
    d = await startRoutedPair(lab, CONFIG);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('installs IP/32 and EUI64/128 to each tap with protocol 183; removes its stale route, leaves the static one', async () => {
    await waitFor('routes installed', async () => ((await ours()).length === 4 ? true : undefined), 3_000);
    expect(await ours()).toEqual([
      '2001:db8:40:0:a800:ff:fe00:40 dev tap40 metric 1024 pref medium',
      '2001:db8:41:0:a800:ff:fe00:41 dev tap41 metric 1024 pref medium',
      '203.0.113.40 dev tap40 scope link',
      '203.0.113.41 dev tap41 scope link',
    ]);
    expect(await lab.run('hv', ['ip', '-4', 'route', 'show', '203.0.113.98'])).toMatch(/203\.0\.113\.98 dev tap41 proto static/);
    expect(await listed()).toEqual([
      'tap40 ipv4 203.0.113.40/32 tap40 254',
      'tap40 ipv6 2001:db8:40:0:a800:ff:fe00:40/128 tap40 254',
      'tap41 ipv4 203.0.113.41/32 tap41 254',
      'tap41 ipv6 2001:db8:41:0:a800:ff:fe00:41/128 tap41 254',
    ]);
  });

  it('the router reaches the VM through the hypervisor, with no host route made by the test', async () => {
    const r = await lab.exec('uplink', ['busybox', 'ping', '-c', '1', '-W', '2', '203.0.113.40'], { timeoutMs: 5_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('a restart changes no wanted route (netlink monitor), and unbinding removes the routes', async () => {
    // Positive control for the monitor: an unbind (tap41) is seen there.
    const r = await restartWatched(lab, d, CONFIG, { object: 'route', about: /203\.0\.113\.4|2001:db8:4/, ours, unbind: 'tap41', deleted: /^Deleted 203\.0\.113\.41/ });
    expect(r.changed).toEqual([]);
    expect(r.kept).toHaveLength(4);
    expect(await ours()).toEqual(['2001:db8:40:0:a800:ff:fe00:40 dev tap40 metric 1024 pref medium', '203.0.113.40 dev tap40 scope link']);
    expect(await listed()).toEqual(['tap40 ipv4 203.0.113.40/32 tap40 254', 'tap40 ipv6 2001:db8:40:0:a800:ff:fe00:40/128 tap40 254']);
  });

  it('a deleted tap takes its routes away', async () => {
    await lab.removeTap('tap40');
    await waitFor('tap40 routes gone', async () => ((await ours()).length === 0 ? true : undefined), 3_000);
  });
});
