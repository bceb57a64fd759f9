/**
 * IPv6 end to end: RAs for SLAAC (M=0, O=1), NAs for the router and
 * gateway, stateless DHCPv6 — answered to rdisc6, ndisc6, dhclient -6 -S
 * and the VM kernels themselves (EUI-64 and random interface ids).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dhclient6Inform, ndisc6, rdisc6 } from './clients.js';
import { Lab, describeLab, sleep, waitFor } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';
import { decodeNdpFrame } from '../../src/wire/frame6.js';

const CONFIG = `[ipv6]
ra_period = 4
nameservers = 2001:db8::53
domains = example.org
`;

/** RFC 4291 App. A: the link-local EUI-64 address of a MAC. */
function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  b[0]! ^= 0x02;
  const w = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | 0xff, (0xfe << 8) | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
}

function binding6(n: number): string {
  return bindingText({
    mac: `aa:00:00:00:00:${n}`,
    extra: [`SUBNET6=2001:db8:${n}::/64`, `GATEWAY6=2001:db8:${n}::1`, `EUI64=2001:db8:${n}::a800:ff:fe00:${n}`].join('\n'),
  });
}

describeLab('IPv6 RA, NA and stateless DHCPv6 with real clients', () => {
  let lab: Lab;
  let d: Onlinkd;
  const tapMac: Record<string, string> = {};

  async function vmAddrs(tap: string): Promise<string> {
    return lab.run(tap, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0']);
  }


  beforeAll(async () => {
    lab = await Lab.create({
      vms: [
        { tap: 'tap20', mac: 'aa:00:00:00:00:20' }, // EUI-64 guest
        { tap: 'tap21', mac: 'aa:00:00:00:00:21' }, // random interface ids (addr_gen_mode 3)
        { tap: 'tap22', mac: 'aa:00:00:00:00:22' }, // never sends an RS
        { tap: 'tap23', mac: 'aa:00:00:00:00:23' }, // unbound
      ],
    });
    // Random IIDs for tap21's VM, and no RS at all from tap22's VM: set, then flap eth0.
    await lab.run('tap21', ['sh', '-c', 'ip link set eth0 down && sysctl -qw net.ipv6.conf.eth0.addr_gen_mode=3 && ip link set eth0 up']);
    await lab.run('tap22', ['sh', '-c', 'ip link set eth0 down && sysctl -qw net.ipv6.conf.eth0.router_solicitations=0 && ip link set eth0 up']);
    for (const t of ['tap20', 'tap21', 'tap22', 'tap23']) tapMac[t] = (await lab.run('hv', ['cat', `/sys/class/net/${t}/address`])).trim();
    d = new Onlinkd(lab);
    for (const n of [20, 21, 22]) d.writeBinding(`tap${n}`, binding6(n));
    await d.start(CONFIG);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  for (const [tap, label] of [['tap20', 'an EUI-64 guest'], ['tap21', 'a random-IID guest']] as const) {
    it(`rdisc6 on ${label} sees M=0, O=1, the /64, RDNSS and DNSSL from the router link-local`, async () => {
      const r = await rdisc6(lab, tap);
      expect(r.adverts.length).toBeGreaterThanOrEqual(1);
      const a = r.adverts[0]!;
      const n = tap.slice(3);
      expect(a).toMatchObject({ managed: false, other: true, hopLimit: 64, preference: 'medium', sourceLinkLayer: tapMac[tap] });
      expect(a.routerLifetime).toBe(12); // 3 × ra_period
      expect(a.prefixes).toEqual([
        { prefix: `2001:db8:${n}::`, length: 64, onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400 },
      ]);
      expect(a.rdnss.map((x) => x.server)).toEqual(['2001:db8::53']);
      expect(a.dnssl.flatMap((x) => x.domains)).toEqual(['example.org']);
      expect(a.from?.replace(/%.*/, '')).toBe(linkLocalOf(tapMac[tap]!));
    });

    it(`ndisc6 on ${label} resolves GATEWAY6 and the router link-local to the tap MAC`, async () => {
      const n = tap.slice(3);
      const gw = await ndisc6(lab, tap, `2001:db8:${n}::1`);
      expect(gw.answers.map((x) => x.targetMac)).toContain(tapMac[tap]);
      const ll = await ndisc6(lab, tap, linkLocalOf(tapMac[tap]!));
      expect(ll.answers.map((x) => x.targetMac)).toContain(tapMac[tap]);
    });

    it(`dhclient -6 -S on ${label} obtains the DNS servers and search list`, async () => {
      const info = await dhclient6Inform(lab, tap);
      expect(info).not.toBeNull();
      expect(info!.dns).toEqual(['2001:db8::53']);
      expect(info!.domainSearch.map((s) => s.replace(/\.$/, ''))).toEqual(['example.org']);
    });
  }

  it('the EUI-64 guest kernel configures its address (DAD passes) and a default route via the router link-local', async () => {
    const addr = await waitFor('SLAAC address on tap20', async () => {
      const out = await vmAddrs('tap20');
      const line = out.split('\n').find((l) => l.includes('2001:db8:20:0:a800:ff:fe00:20/64'));
      return line && !/tentative/.test(line) ? line : undefined;
    });
    expect(addr).not.toMatch(/dadfailed/);
    const route = await lab.run('tap20', ['ip', '-6', 'route', 'show', 'default']);
    expect(route).toContain(`via ${linkLocalOf(tapMac.tap20!)} dev eth0`);
  });

  it('the random-IID guest kernel configures a non-EUI-64 address in the prefix, DAD passing', async () => {
    const line = await waitFor('SLAAC address on tap21', async () => {
      const out = await vmAddrs('tap21');
      const l = out.split('\n').find((x) => /inet6 2001:db8:21::?[0-9a-f:]*\/64/.test(x) && /global/.test(x));
      return l && !/tentative/.test(l) ? l : undefined;
    });
    expect(line).not.toMatch(/dadfailed/);
    expect(line).not.toContain('a800:ff:fe00:21');
  });

  it('a VM that never solicits still receives periodic RAs', async () => {
    // Well after the initial burst, listen for RAs while the VM sends no RS at all.
    await sleep(6_500);
    const cap = await lab.tcpdump('tap22', 'eth0', 'icmp6', lab.path('tap22-ra.pcap'));
    await sleep(5_000);
    await cap.stop();
    const types = cap.frames().map((f) => (f[12] === 0x86 && f[13] === 0xdd && f[20] === 58 ? f[54] : -1));
    expect(types.filter((t) => t === 133)).toEqual([]); // no RS from the VM
    expect(types.filter((t) => t === 134).length).toBeGreaterThanOrEqual(1);
    const line = await waitFor('SLAAC address on tap22', async () => {
      const out = await vmAddrs('tap22');
      return out.split('\n').find((l) => l.includes('2001:db8:22:0:a800:ff:fe00:22/64') && !/tentative/.test(l));
    });
    expect(line).toBeDefined();
  });

  it('periodic RAs carry a reloaded configuration and a rewritten binding at once (no stale frame)', async () => {
    const hasAddress = (frames: Uint8Array[], hex: string) =>
      frames.some((f) => f[20] === 58 && f[54] === 134 && Buffer.from(f).toString('hex').includes(hex));
    const periodicRas = async (name: string) => {
      const cap = await lab.tcpdump('tap22', 'eth0', 'icmp6', lab.path(name));
      await sleep(4_500); // > ra_period: at least one periodic RA
      await cap.stop();
      return cap.frames();
    };
    const before = await periodicRas('tap22-before.pcap');
    expect(hasAddress(before, '20010db8000000000000000000000053')).toBe(true); // RDNSS 2001:db8::53
    // Reload with another name server: the next periodic RA says so.
    writeFileSync(d.configPath, readFileSync(d.configPath, 'utf8').replace('nameservers = 2001:db8::53', 'nameservers = 2001:db8::54'));
    expect((await d.ctl(['reload'])).code).toBe(0);
    const reloaded = await periodicRas('tap22-reloaded.pcap');
    expect(hasAddress(reloaded, '20010db8000000000000000000000054')).toBe(true);
    expect(hasAddress(reloaded, '20010db8000000000000000000000053')).toBe(false);
    // A rewritten binding file (another prefix): the next periodic RA advertises it.
    d.writeBinding('tap22', binding6(22).replaceAll('2001:db8:22::', '2001:db8:2222::'));
    await d.waitLog({ tap: 'tap22', msg: 'binding updated' });
    const rewritten = await periodicRas('tap22-rewritten.pcap');
    expect(hasAddress(rewritten, '20010db8222200000000000000000000')).toBe(true);
    // The old prefix only as withdrawn (issue 14: preferred lifetime 0, RFC 9096 §3.3), never as valid for new addresses.
    const oldPios = rewritten.flatMap((f) => {
      const r = decodeNdpFrame(f);
      return r.ok ? r.value.message.options.filter((o) => o.kind === 'prefix' && o.prefix === '2001:db8:22::') : [];
    });
    expect(oldPios.length).toBeGreaterThanOrEqual(1);
    for (const p of oldPios) expect(p).toMatchObject({ preferredLifetime: 0 });
  });

  it('an unbound tap gets no RA, NA or DHCPv6 reply', async () => {
    const r = await rdisc6(lab, 'tap23', { retries: 2 });
    expect(r.adverts).toEqual([]);
    const n = await ndisc6(lab, 'tap23', linkLocalOf(tapMac.tap23!), { retries: 2 });
    expect(n.answers).toEqual([]);
    expect(await dhclient6Inform(lab, 'tap23', { timeoutSec: 3 })).toBeNull();
  });
});
