/**
 * The client runners of clients.ts against stand-in servers, so that their
 * success paths (and the parsers behind them) are proven on real client
 * output before onlinkd answers anything: busybox udhcpd for DHCPv4, and
 * test/helpers/ipv6-responder.py (scapy) for RS/NS/Information-Request.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab, describeLab, type LabProcess } from './lab.js';
import { peekDhcp4 } from '../helpers/frame-peek.js';
import { dhclient, dhclient6Inform, dhcpcd, ndisc6, rdisc6, startDhclient, udhcpc } from './clients.js';

const ROUTES = [
  { destination: '198.51.100.0/24', gateway: '203.0.113.1' },
  { destination: '0.0.0.0/0', gateway: '203.0.113.1' },
];

describeLab('e2e lab: DHCPv4 client runners against busybox udhcpd', () => {
  let lab: Lab;
  let server: LabProcess;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap10', mac: 'aa:00:00:00:00:10' }] });
    await lab.run('hv', ['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'tap10']);
    const conf = lab.path('udhcpd.conf');
    writeFileSync(lab.path('udhcpd.leases'), '');
    writeFileSync(conf, [
      'start 203.0.113.10', 'end 203.0.113.20', 'interface tap10',
      `lease_file ${lab.path('udhcpd.leases')}`, `pidfile ${lab.path('udhcpd.pid')}`,
      'option subnet 255.255.255.0', 'option router 203.0.113.1',
      'option dns 198.51.100.53 198.51.100.54', 'option domain example.test',
      'option staticroutes 198.51.100.0/24 203.0.113.1 0.0.0.0/0 203.0.113.1',
      'option lease 600', 'option mtu 1450', 'option hostname vm10', '',
    ].join('\n'));
    server = lab.spawn('hv', ['busybox', 'udhcpd', '-f', conf]);
    await server.waitForLine(/started/, { stream: 'both', timeoutMs: 5_000 });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('dhclient: BOUND with mask, router, DNS, domain, MTU and option 121', async () => {
    const lease = await dhclient(lab, 'tap10', { timeoutSec: 8 });
    expect(lease).not.toBeNull();
    expect(lease!.reason).toBe('BOUND');
    expect(lease!.ip).toMatch(/^203\.0\.113\.(1\d|20)$/);
    expect(lease!.subnetMask).toBe('255.255.255.0');
    expect(lease!.prefixLength).toBe(24);
    expect(lease!.routers).toEqual(['203.0.113.1']);
    expect(lease!.dns).toEqual(['198.51.100.53', '198.51.100.54']);
    expect(lease!.domainName).toBe('example.test');
    expect(lease!.serverId).toBe('203.0.113.1');
    expect(lease!.leaseTime).toBe(600);
    expect(lease!.mtu).toBe(1450);
    expect(lease!.classlessRoutes).toEqual(ROUTES);
    // The hook did not configure anything.
    expect(await lab.run('tap10', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).toBe('');
  });

  it('dhclient: starts with an INIT-REBOOT REQUEST from a previous lease', async () => {
    const lease = await dhclient(lab, 'tap10', { timeoutSec: 8, previousLease: { ip: '203.0.113.15', serverId: '203.0.113.1' } });
    expect(lease).not.toBeNull();
    // udhcpd ACKs the requested address when free (REBOOT) or NAKs it, after which dhclient DISCOVERs (BOUND).
    expect(['REBOOT', 'BOUND']).toContain(lease!.reason);
  });

  it('dhclient session with configure: the address lands on eth0, stop() leaves it', async () => {
    const s = await startDhclient(lab, 'tap10', { timeoutSec: 8, configure: true });
    try {
      const ev = await s.waitForEvent(['BOUND', 'REBOOT'], 10_000);
      expect(ev).not.toBeNull();
      const addr = await lab.run('tap10', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      expect(addr).toContain(`inet ${ev!.env.new_ip_address}/24`);
      expect(s.events().map((e) => e.reason)).toContain('PREINIT');
    } finally {
      await s.stop();
      await lab.run('tap10', ['ip', '-4', 'addr', 'flush', 'dev', 'eth0']);
    }
  });

  it('udhcpc: bound with staticroutes', async () => {
    const lease = await udhcpc(lab, 'tap10', { timeoutSec: 5 });
    expect(lease).not.toBeNull();
    expect(lease!.reason).toBe('bound');
    expect(lease!.ip).toMatch(/^203\.0\.113\.(1\d|20)$/);
    expect(lease!.prefixLength).toBe(24);
    expect(lease!.routers).toEqual(['203.0.113.1']);
    expect(lease!.dns).toEqual(['198.51.100.53', '198.51.100.54']);
    expect(lease!.domainName).toBe('example.test');
    expect(lease!.serverId).toBe('203.0.113.1');
    expect(lease!.mtu).toBe(1450);
    expect(lease!.classlessRoutes).toEqual(ROUTES);
  });

  it('udhcpc asks for option 121 only with -O staticroutes (PRL on the wire)', async () => {
    const prl = async (requestRoutes: boolean): Promise<number[]> => {
      const cap = await lab.tcpdump('hv', 'tap10', 'udp dst port 67', lab.path(`udhcpc-prl-${requestRoutes}.pcap`));
      const lease = await udhcpc(lab, 'tap10', { timeoutSec: 5, requestRoutes });
      await cap.stop();
      expect(lease).not.toBeNull();
      const discover = cap.frames().map(peekDhcp4).find((d) => d?.messageType === 1);
      expect(discover).toBeDefined();
      return [...(discover!.options.get(55) ?? [])];
    };
    expect(await prl(true)).toContain(121);
    expect(await prl(false)).not.toContain(121);
  });

  it('dhcpcd -T: reports the OFFER, and its helpers do not outlive it', async () => {
    const lease = await dhcpcd(lab, 'tap10', { timeoutSec: 8 });
    expect(lease).not.toBeNull();
    expect(lease!.reason).toBe('TEST');
    expect(lease!.env.new_dhcp_message_type).toBe('2');
    expect(lease!.ip).toMatch(/^203\.0\.113\.(1\d|20)$/);
    expect(lease!.prefixLength).toBe(24);
    expect(lease!.routers).toEqual(['203.0.113.1']);
    expect(lease!.classlessRoutes).toEqual(ROUTES);
    expect(await lab.pids('tap10')).toEqual([]);
  });
});

const RESPONDER = fileURLToPath(new URL('../helpers/ipv6-responder.py', import.meta.url));

describeLab('e2e lab: IPv6 client runners against a scapy responder', () => {
  let lab: Lab;
  let responder: LabProcess;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap10', mac: 'aa:00:00:00:00:10' }] });
    responder = lab.spawn('hv', ['/usr/bin/python3', RESPONDER, '--iface', 'tap10', '--own', '2001:db8:10::1',
      '--dns', '2001:db8::53', '--domain', 'example.test', '--timeout', '50']);
    await responder.waitForLine('READY', { timeoutMs: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('rdisc6: one RA parsed', async () => {
    const r = await rdisc6(lab, 'tap10');
    expect(r.code).toBe(0);
    expect(r.adverts).toHaveLength(1);
    const ra = r.adverts[0]!;
    expect(ra.from).toBe('fe80::1');
    expect(ra.sourceLinkLayer).toBe('fe:00:00:00:00:01');
    expect(ra.other).toBe(true);
    expect(ra.managed).toBe(false);
    expect(ra.prefixes).toEqual([{ prefix: '2001:db8:10::', length: 64, onLink: true, autonomous: true,
      validLifetime: 86400, preferredLifetime: 14400 }]);
    expect(ra.rdnss).toEqual([{ server: '2001:db8::53', lifetime: 600 }]);
    expect(ra.dnssl).toEqual([{ domains: ['example.test'], lifetime: 600 }]);
    expect(ra.unknown).toEqual([]);
  });

  it('ndisc6: the router link-local and a global address', async () => {
    const ll = await ndisc6(lab, 'tap10', 'fe80::1');
    expect(ll.code).toBe(0);
    expect(ll.answers).toEqual([{ targetMac: 'fe:00:00:00:00:01', from: 'fe80::1' }]);
    const global = await ndisc6(lab, 'tap10', '2001:db8:10::1');
    expect(global.answers).toEqual([{ targetMac: 'fe:00:00:00:00:01', from: '2001:db8:10::1' }]);
  });

  it('ndisc6: nobody answers for an unknown address, within the bound', async () => {
    const t0 = Date.now();
    const r = await ndisc6(lab, 'tap10', '2001:db8:10::99', { retries: 2, waitMs: 500 });
    expect(r.answers).toEqual([]);
    expect(r.code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('dhclient -6 -S: name servers and domain search from the Reply', async () => {
    const info = await dhclient6Inform(lab, 'tap10', { timeoutSec: 5 });
    expect(info).not.toBeNull();
    expect(info!.dns).toEqual(['2001:db8::53']);
    expect(info!.domainSearch).toEqual(['example.test.']);
    expect(info!.serverId).toBe('0:3:0:1:fe:0:0:0:0:1');
  });
}, { scapy: true });
