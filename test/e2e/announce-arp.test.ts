/**
 * Announcements upstream and the ARP responder, end to end: tcpdump in an
 * uplink namespace sees the gratuitous ARPs and unsolicited NAs when a
 * bound tap comes up; a VM's ARP for 169.254.169.254 and its gateway is
 * answered with the tap's MAC, its probes are not.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab, describeLab, sleep } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';

const CONFIG = `[announce]
uplink = uplink0
uplink6 = uplink0
[arp]
responder = yes
`;

interface Seen {
  t: number;
  kind: 'garp' | 'una';
  fields: Record<string, unknown>;
}

function hex(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.subarray(from, to)).toString('hex');
}

/** Reads GARPs and unsolicited NAs out of captured frames (pcap timestamps not needed: order and count). */
function classify(frames: Uint8Array[]): Seen[] {
  const out: Seen[] = [];
  frames.forEach((f, t) => {
    const et = (f[12]! << 8) | f[13]!;
    if (et === 0x0806) {
      out.push({
        t,
        kind: 'garp',
        fields: { dst: hex(f, 0, 6), op: (f[20]! << 8) | f[21]!, sha: hex(f, 22, 28), spa: [...f.subarray(28, 32)].join('.'), tha: hex(f, 32, 38), tpa: [...f.subarray(38, 42)].join('.') },
      });
    } else if (et === 0x86dd && f[20] === 58 && f[54] === 136) {
      out.push({
        t,
        kind: 'una',
        fields: { dst: hex(f, 0, 6), hopLimit: f[21], ipDst: hex(f, 38, 54), flags: f[58], target: hex(f, 62, 78), tllaoType: f[78], tllao: hex(f, 80, 86) },
      });
    }
  });
  return out;
}

describeLab('announcements and the ARP responder', () => {
  let lab: Lab;
  let d: Onlinkd;
  let uplinkMac: string;
  let tapMac: string;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap30', mac: 'aa:00:00:00:00:30' }, { tap: 'tap31', mac: 'aa:00:00:00:00:31' }], uplink: true });
    uplinkMac = (await lab.run('hv', ['cat', '/sys/class/net/uplink0/address'])).trim();
    tapMac = (await lab.run('hv', ['cat', '/sys/class/net/tap30/address'])).trim();
    d = new Onlinkd(lab);
    for (const n of [30, 31]) {
      d.writeBinding(`tap${n}`, bindingText({ mac: `aa:00:00:00:00:${n}`, ip: `203.0.113.${n}`, extra: `SUBNET6=2001:db8:${n}::/64\nEUI64=2001:db8:${n}::a800:ff:fe00:${n}` }));
    }
    await d.start(CONFIG);
    await lab.run('tap30', ['ip', 'addr', 'add', '203.0.113.30/24', 'dev', 'eth0']);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('a tap coming up is announced upstream: 2 gratuitous ARPs and 3 unsolicited NAs with the right fields', async () => {
    await lab.setTapUp('tap31', false);
    await sleep(300);
    const cap = await lab.tcpdump('uplink', 'eth0', 'arp or icmp6', lab.path('uplink.pcap'));
    await lab.setTapUp('tap31', true);
    await d.waitLog({ tap: 'tap31', msg: 'announcing VM addresses upstream', reason: 'tap-up' });
    await sleep(3_500); // 2 GARPs 2 s apart, 3 NAs 1 s apart
    await cap.stop();
    const seen = classify(cap.frames());
    const garps = seen.filter((s) => s.kind === 'garp' && s.fields.spa === '203.0.113.31');
    expect(garps).toHaveLength(2);
    for (const g of garps) {
      // RFC 5227 ARP announcement: request, SPA = TPA, sender = the uplink's MAC, broadcast.
      expect(g.fields).toEqual({ dst: 'ffffffffffff', op: 1, sha: uplinkMac.replace(/:/g, ''), spa: '203.0.113.31', tha: '000000000000', tpa: '203.0.113.31' });
    }
    const target = '20010db800310000a80000fffe000031'; // 2001:db8:31::a800:ff:fe00:31
    const unas = seen.filter((s) => s.kind === 'una' && s.fields.target === target);
    expect(unas).toHaveLength(3);
    for (const u of unas) {
      // RFC 4861 §7.2.6: to all-nodes, hop limit 255, O=1 S=0 R=0, TLLAO = uplink MAC.
      expect(u.fields).toMatchObject({ dst: '333300000001', hopLimit: 255, ipDst: 'ff020000000000000000000000000001', flags: 0x20, tllaoType: 2, tllao: uplinkMac.replace(/:/g, '') });
    }
  });

  it("answers the VM's ARP for 169.254.169.254 and its gateway with the tap's MAC", async () => {
    for (const target of ['169.254.169.254', '203.0.113.1']) {
      const r = await lab.exec('tap30', ['busybox', 'arping', '-c', '1', '-w', '2', '-I', 'eth0', '-s', '203.0.113.30', target], { timeoutMs: 5_000 });
      expect(r.stdout, target).toMatch(/Received 1 response/);
      expect(r.stdout.toLowerCase(), target).toContain(tapMac);
    }
  });

  it('ignores ARP probes (sender 0.0.0.0) and requests for addresses it does not serve', async () => {
    const probe = await lab.exec('tap30', ['busybox', 'arping', '-D', '-c', '1', '-w', '2', '-I', 'eth0', '169.254.169.254'], { timeoutMs: 5_000 });
    expect(probe.stdout).toMatch(/Received 0 response/);
    const other = await lab.exec('tap30', ['busybox', 'arping', '-c', '1', '-w', '2', '-I', 'eth0', '-s', '203.0.113.30', '203.0.113.77'], { timeoutMs: 5_000 });
    expect(other.stdout).toMatch(/Received 0 response/);
  });

  it('announces nothing for the taps already bound and up when it starts (a restart is no news upstream)', async () => {
    await d.stop();
    const cap = await lab.tcpdump('uplink', 'eth0', 'arp or icmp6', lab.path('restart.pcap'));
    await d.start(CONFIG);
    await sleep(1_500); // announcements go out at once on an event; the second GARP of a burst 2 s later
    await cap.stop();
    expect(d.logs().filter((l) => l.msg === 'announcing VM addresses upstream')).toEqual([]);
    expect(classify(cap.frames())).toEqual([]);
    // And the daemon still announces what happens after start.
    await lab.setTapUp('tap31', false);
    await sleep(300);
    await lab.setTapUp('tap31', true);
    await d.waitLog({ tap: 'tap31', msg: 'announcing VM addresses upstream', reason: 'tap-up' });
  });
});
