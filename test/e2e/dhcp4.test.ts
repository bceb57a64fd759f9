/**
 * DHCPv4 end to end: onlinkd in a hypervisor namespace, real clients
 * (dhclient, udhcpc, dhcpcd) in VM namespaces on veth "taps", and scapy for
 * what no client here sends (a Windows DISCOVER, a chaddr other than the
 * frame's source MAC).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dhclient, dhcpProbe, dhcpcd, startUdhcpc, udhcpc } from './clients.js';
import { Lab, describeLab, type NsRef } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';
import { peekDhcp4, peekEthernet, peekUdp } from '../helpers/frame-peek.js';

const CONFIG = `[dhcp]
nameservers = 198.51.100.53, 198.51.100.54
domain = example.org
`;

describeLab(
  'DHCPv4 with real clients',
  () => {
    let lab: Lab;
    let d: Onlinkd;
    let tapMac: Record<string, string>;

    const probe = (vm: NsRef, req: Record<string, unknown>) => dhcpProbe(lab, vm, req);

    /** The DHCPv4 frames a capture holds: Ethernet and UDP addressing with the message. */
    const dhcpFrames = (frames: Uint8Array[]) =>
      frames.flatMap((f) => {
        const m = peekDhcp4(f);
        return m ? [{ eth: peekEthernet(f)!, udp: peekUdp(f)!, m }] : [];
      });

    beforeAll(async () => {
      lab = await Lab.create({
        vms: [
          { tap: 'tap10', mac: 'aa:00:00:00:00:10' }, // dhclient
          { tap: 'tap11', mac: 'aa:00:00:00:00:11' }, // udhcpc
          { tap: 'tap12', mac: 'aa:00:00:00:00:12' }, // dhcpcd
          { tap: 'tap13', mac: 'aa:00:00:00:00:13' }, // never bound
          { tap: 'tap14', mac: 'aa:00:00:00:00:14' }, // bound while running
          { tap: 'tap15', mac: 'aa:00:00:00:00:15' }, // Windows-like probe, udhcpc renewal, spoofed MAC
        ],
      });
      d = new Onlinkd(lab);
      for (const n of [10, 11, 12, 15]) {
        d.writeBinding(`tap${n}`, bindingText({ mac: `aa:00:00:00:00:${n}`, ip: `203.0.113.${n}`, extra: `HOSTNAME=vm${n}` }));
      }
      await d.start(CONFIG);
      tapMac = {};
      for (const t of ['tap10', 'tap15']) {
        tapMac[t] = (await lab.run('hv', ['cat', `/sys/class/net/${t}/address`])).trim();
      }
    });

    afterAll(async () => {
      await d?.stop();
      await lab?.destroy();
    });

    it('dhclient obtains exactly the bound address, mask, router, DNS and domain', async () => {
      const lease = await dhclient(lab, 'tap10');
      expect(lease).not.toBeNull();
      expect(lease).toMatchObject({
        ip: '203.0.113.10',
        subnetMask: '255.255.255.0',
        routers: ['203.0.113.1'],
        dns: ['198.51.100.53', '198.51.100.54'],
        domainName: 'example.org',
        hostName: 'vm10',
        serverId: '203.0.113.1',
        leaseTime: 604800,
      });
      // dhclient asked for option 121: the default route is inside, 169.254/16 is not (Linux guest).
      expect(lease!.classlessRoutes).toEqual([{ destination: '0.0.0.0/0', gateway: '203.0.113.1' }]);
      const sent = d.logs().filter((l) => l.tap === 'tap10' && (l.reply === 'dhcp-offer' || l.reply === 'dhcp-ack'));
      expect(sent.map((l) => l.reply)).toEqual(expect.arrayContaining(['dhcp-offer', 'dhcp-ack']));
    });

    it('udhcpc obtains the same configuration, with the broadcast flag honoured', async () => {
      const cap = await lab.tcpdump('hv', 'tap11', 'udp src port 67', lab.path('tap11-bcast.pcap'));
      const lease = await udhcpc(lab, 'tap11', { broadcastFlag: true });
      await cap.stop();
      expect(lease).toMatchObject({
        ip: '203.0.113.11',
        subnetMask: '255.255.255.0',
        routers: ['203.0.113.1'],
        dns: ['198.51.100.53', '198.51.100.54'],
        domainName: 'example.org',
        serverId: '203.0.113.1',
      });
      expect(lease!.classlessRoutes).toEqual([{ destination: '0.0.0.0/0', gateway: '203.0.113.1' }]);
      // -B sets the BROADCAST flag: every reply went to ff:ff:ff:ff:ff:ff / 255.255.255.255.
      const frames = cap.frames();
      expect(frames.length).toBeGreaterThanOrEqual(2);
      for (const f of frames) {
        expect(Buffer.from(f.subarray(0, 6)).toString('hex')).toBe('ffffffffffff');
        expect([...f.subarray(30, 34)]).toEqual([255, 255, 255, 255]);
      }
    });

    it('dhcpcd obtains the same configuration', async () => {
      const lease = await dhcpcd(lab, 'tap12');
      expect(lease).toMatchObject({
        ip: '203.0.113.12',
        subnetMask: '255.255.255.0',
        routers: ['203.0.113.1'],
        dns: ['198.51.100.53', '198.51.100.54'],
        domainName: 'example.org',
        serverId: '203.0.113.1',
      });
    });

    it('answers a Windows-like DISCOVER with byte-identical 121 and 249 carrying 169.254.0.0/16 and the default route', async () => {
      const r = await probe('tap15', {
        src_mac: 'aa:00:00:00:00:15',
        options: [
          [60, Buffer.from('MSFT 5.0').toString('hex')],
          [61, '01aa0000000015'],
          [12, Buffer.from('WIN-VM15').toString('hex')],
          [55, Buffer.from([1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]).toString('hex')],
        ],
      });
      expect(r).not.toBeNull();
      expect(r!.options['53']).toBe('02');
      expect(r!.yiaddr).toBe('203.0.113.15');
      // 169.254.0.0/16 via 203.0.113.1, then 0.0.0.0/0 via 203.0.113.1 (RFC 3442 encoding).
      expect(r!.options['121']).toBe('10a9fecb007101' + '00cb007101');
      expect(r!.options['249']).toBe(r!.options['121']);
      expect(r!.options['3']).toBe('cb007101');
      // RFC 6842: the client identifier comes back.
      expect(r!.options['61']).toBe('01aa0000000015');
      // Unicast (no broadcast flag) to yiaddr at chaddr, from the tap's MAC.
      expect(r).toMatchObject({ eth_dst: 'aa:00:00:00:00:15', ip_dst: '203.0.113.15', ip_src: '203.0.113.1', eth_src: tapMac.tap15 });
    });

    it('ACKs a renewal unicast to the server identifier, answering unicast to ciaddr', async () => {
      // busybox udhcpc renews at once on SIGUSR1: a REQUEST with ciaddr from a kernel UDP socket, unicast to the
      // server identifier, which the VM reaches at the tap's MAC (the suite runs without [arp] responder).
      await lab.run('tap15', ['ip', 'neigh', 'replace', '203.0.113.1', 'lladdr', tapMac.tap15!, 'dev', 'eth0', 'nud', 'permanent']);
      const cap = await lab.tcpdump('hv', 'tap15', 'udp port 67 or udp port 68', lab.path('tap15-renew.pcap'));
      const s = startUdhcpc(lab, 'tap15', { configure: true });
      try {
        expect(await s.waitForEvent(['bound'], 8_000)).not.toBeNull();
        s.renew();
        expect((await s.waitForEvent(['renew'], 5_000))?.env.ip).toBe('203.0.113.15');
      } finally {
        await s.stop();
        await cap.stop();
        await lab.run('tap15', ['ip', 'addr', 'flush', 'dev', 'eth0']);
        await lab.run('tap15', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
      }
      const frames = dhcpFrames(cap.frames());
      const at = frames.findIndex((x) => x.m.op === 1 && x.m.messageType === 3 && x.m.ciaddr === '203.0.113.15');
      expect(frames[at]).toMatchObject({ eth: { dst: tapMac.tap15 }, udp: { src: '203.0.113.15', dst: '203.0.113.1' } });
      // The reply to it (udhcpc keeps the xid of its first DISCOVER: the reply is the next server frame).
      const r = frames.slice(at + 1).find((x) => x.m.op === 2);
      expect(r).toBeDefined();
      expect(r!.m.messageType).toBe(5);
      expect(r).toMatchObject({ m: { yiaddr: '203.0.113.15', ciaddr: '203.0.113.15' }, udp: { dst: '203.0.113.15' }, eth: { dst: 'aa:00:00:00:00:15' } });
    });

    it('NAKs a wrong requested address (broadcast), after which dhclient gets the right one', async () => {
      const cap = await lab.tcpdump('hv', 'tap10', 'udp src port 67', lab.path('tap10-nak.pcap'));
      const lease = await dhclient(lab, 'tap10', { previousLease: { ip: '203.0.113.99', serverId: '203.0.113.1' } });
      await cap.stop();
      expect(lease?.ip).toBe('203.0.113.10');
      const nak = d.logs().find((l) => l.tap === 'tap10' && l.reply === 'dhcp-nak');
      expect(nak).toMatchObject({ dst: '255.255.255.255', request: 'dhcp-request' });
      // dhclient's INIT-REBOOT REQUEST (option 50, no 54) is what was NAKed: broadcast, at the Ethernet layer too.
      const direct = dhcpFrames(cap.frames()).find((x) => x.m.messageType === 6);
      expect(direct).toMatchObject({ eth: { dst: 'ff:ff:ff:ff:ff:ff' }, udp: { dst: '255.255.255.255' } });
    });

    it('gives nothing to a foreign source MAC or chaddr', async () => {
      // A guest that took another MAC (udhcpc sends it as source and chaddr); then a chaddr other than the source (scapy).
      await lab.run('tap15', ['ip', 'link', 'set', 'dev', 'eth0', 'address', 'aa:00:00:00:00:99']);
      try {
        expect(await udhcpc(lab, 'tap15', { timeoutSec: 2 })).toBeNull();
      } finally {
        await lab.run('tap15', ['ip', 'link', 'set', 'dev', 'eth0', 'address', 'aa:00:00:00:00:15']);
      }
      expect(await probe('tap15', { src_mac: 'aa:00:00:00:00:15', chaddr: 'aa:00:00:00:00:98' })).toBeNull();
      const warn = await d.waitLog({ tap: 'tap15', msg: 'DHCP request from a foreign MAC dropped' });
      expect(warn.srcMac).toBe('aa:00:00:00:00:99');
    });

    it('gives nothing on an unbound tap', async () => {
      expect(await dhclient(lab, 'tap13', { timeoutSec: 3 })).toBeNull();
      expect(d.logs().some((l) => l.tap === 'tap13' && typeof l.reply === 'string')).toBe(false);
    });

    it('serves a binding file written while the daemon runs, without a restart', async () => {
      d.writeBindingInPlace('tap14', bindingText({ mac: 'aa:00:00:00:00:14', ip: '203.0.113.14' }));
      await d.waitLog({ tap: 'tap14', msg: 'binding attached to tap' });
      const lease = await udhcpc(lab, 'tap14');
      expect(lease?.ip).toBe('203.0.113.14');
    });

    it('keeps serving when a binding file breaks: last good binding for that tap, others untouched', async () => {
      d.writeBindingInPlace('tap11', 'MAC=aa:00:00:00:00:11\nIP=203.0.113.300\n');
      d.writeBindingInPlace('tap13', 'this is not a binding\n');
      const rejected = await d.waitLog({ tap: 'tap11', msg: 'binding file rejected; last good binding stays in force' });
      expect(rejected).toMatchObject({ line: 2, key: 'IP' });
      await d.waitLog({ tap: 'tap13', msg: 'binding file rejected' });
      expect((await udhcpc(lab, 'tap11'))?.ip).toBe('203.0.113.11');
      expect((await udhcpc(lab, 'tap14'))?.ip).toBe('203.0.113.14');
      expect(await dhclient(lab, 'tap13', { timeoutSec: 3 })).toBeNull();
    });
  },
  { scapy: true },
);
