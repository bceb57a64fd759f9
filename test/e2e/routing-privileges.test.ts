/**
 * `[routing] manage = yes` under `[general] user` (issue 15, item 5): the
 * privilege drop keeps CAP_NET_ADMIN besides CAP_NET_RAW (read back from
 * /proc), and the unprivileged daemon installs the bound VM's host route
 * and answers ARP for it on the uplink (its packet socket and multicast
 * membership opened after the drop, with CAP_NET_RAW).
 */
import { chownSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab, describeLab, waitFor } from './lab.js';
import { NOBODY, procStatus } from './hardening-util.js';
import { Onlinkd, bindingText } from './onlinkd.js';

describeLab('routing as an unprivileged user: CAP_NET_ADMIN kept for routes', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap93', mac: 'aa:00:00:00:00:93' }], uplink: true });
    await lab.run('uplink', ['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'eth0']);
    d = new Onlinkd(lab);
    d.writeBinding('tap93', bindingText({ mac: 'aa:00:00:00:00:93', ip: '203.0.113.93' }));
    chownSync(d.datapath, NOBODY, NOBODY);
    await d.start('user = nobody\n[routing]\nmanage = yes\n[announce]\nuplink = uplink0\n');
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('drops to nobody keeping CAP_NET_RAW and CAP_NET_ADMIN, and says so', async () => {
    const line = await d.waitLog({ msg: 'privileges dropped: running as the configured user with CAP_NET_RAW and CAP_NET_ADMIN only' });
    expect(line).toMatchObject({ user: 'nobody', caps: ['CAP_NET_RAW', 'CAP_NET_ADMIN'] });
    expect(procStatus(d.process.pid, 'CapEff')).toBe('0000000000003000');
    expect(d.logs().filter((l) => String(l.msg).includes('lacks CAP_NET_ADMIN'))).toEqual([]);
  });

  it('installs the host route as nobody', async () => {
    await waitFor('route installed', async () => {
      const out = await lab.run('hv', ['ip', '-4', 'route', 'show', 'proto', '183']);
      return out.includes('203.0.113.93 dev tap93') ? true : undefined;
    }, 3_000);
    expect(d.logs().filter((l) => String(l.msg).startsWith('route add refused'))).toEqual([]);
  });

  it('answers ARP on the uplink for the routed VM as nobody', async () => {
    const r = await waitFor('ARP answered on the uplink', async () => {
      const a = await lab.exec('uplink', ['busybox', 'arping', '-c', '1', '-w', '1', '-I', 'eth0', '203.0.113.93'], { timeoutMs: 4_000 });
      return a.code === 0 ? a.stdout : undefined;
    }, 4_000);
    const mac = JSON.parse(await lab.run('hv', ['ip', '-j', 'link', 'show', 'uplink0']))[0].address as string;
    expect(r.toLowerCase()).toContain(`[${mac}]`);
    expect(d.logs().filter((l) => String(l.msg).startsWith('cannot open a packet socket on the uplink'))).toEqual([]);
  });
});
