/**
 * Issue 14, RA and ND side, end to end with real clients and kernels:
 * ROUTES6 seen by rdisc6, PREF64 and the captive portal option in the
 * captured RA, MODE6=dhcpv6 (M=1, A=0: the VM kernel forms no SLAAC
 * address), [nd] addresses answered to ndisc6 with the tap's MAC, and a
 * removed binding's / changed prefix's final RA deprecating the prefix in
 * the VM kernel (preferred_lft 0).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ndisc6, rdisc6 } from './clients.js';
import { Lab, describeLab, sleep, waitFor } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';
import { decodeNdpFrame } from '../../src/wire/frame6.js';
import type { NdpOption } from '../../src/wire/ndp.js';

const CONFIG = `[ipv6]
ra_period = 4
pref64 = 64:ff9b::/96

[nd]
addresses = fe80::a9fe:a9fe
`;

function binding6(n: number, extra: string[] = []): string {
  return bindingText({
    mac: `aa:00:00:00:00:${n}`,
    extra: [`SUBNET6=2001:db8:${n}::/64`, `GATEWAY6=2001:db8:${n}::1`, `EUI64=2001:db8:${n}::a800:ff:fe00:${n}`, ...extra].join('\n'),
  });
}

describeLab('IPv6 RA extras: routes, PREF64, captive portal, modes, [nd] addresses, withdrawal', () => {
  let lab: Lab;
  let d: Onlinkd;
  const tapMac: Record<string, string> = {};

  const addrs = (tap: string) => lab.run(tap, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0']);
  /** The VM's line for `address`, once it has left DAD. */
  const addressLine = (tap: string, address: string, match: (l: string) => boolean = () => true) =>
    waitFor(`${address} on ${tap}`, async () => (await addrs(tap)).split('\n').find((l) => l.includes(`${address}/64`) && !/tentative/.test(l) && match(l)), 10_000);

  /** The RAs the VM receives over `ms` (rdisc6 makes one come at once), decoded. */
  async function capturedRas(tap: string, ms: number) {
    const cap = await lab.tcpdump(tap, 'eth0', 'icmp6', lab.path(`${tap}-${Date.now()}.pcap`));
    await rdisc6(lab, tap, { retries: 1 });
    await sleep(ms);
    await cap.stop();
    return cap.frames().flatMap((f) => {
      const r = decodeNdpFrame(f);
      return r.ok && r.value.message.type === 134 ? [r.value.message] : [];
    });
  }

  beforeAll(async () => {
    lab = await Lab.create({
      vms: [
        { tap: 'tap30', mac: 'aa:00:00:00:00:30' }, // routes, PREF64, captive portal; then removed
        { tap: 'tap31', mac: 'aa:00:00:00:00:31' }, // MODE6=dhcpv6
        { tap: 'tap32', mac: 'aa:00:00:00:00:32' }, // [nd] addresses; then a new SUBNET6
      ],
    });
    for (const t of ['tap30', 'tap31', 'tap32']) tapMac[t] = (await lab.run('hv', ['cat', `/sys/class/net/${t}/address`])).trim();
    d = new Onlinkd(lab);
    d.writeBinding('tap30', binding6(30, ['ROUTES6="2001:db8:ff::/48 high, 2001:db8:fe::/56 low, ::/0"', 'PREF64=2001:db8:64::/96', 'CAPTIVE_PORTAL=https://portal.example/api']));
    d.writeBinding('tap31', binding6(31, ['MODE6=dhcpv6']));
    d.writeBinding('tap32', binding6(32));
    await d.start(CONFIG);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('rdisc6 shows ROUTES6 as route information with their preferences, lifetime the router lifetime', async () => {
    const r = await rdisc6(lab, 'tap30');
    const a = r.adverts[0]!;
    expect(a).toMatchObject({ managed: false, other: true });
    expect(a.routes).toEqual([
      { prefix: '2001:db8:ff::', length: 48, preference: 'high', lifetime: 12 },
      { prefix: '2001:db8:fe::', length: 56, preference: 'low', lifetime: 12 },
      { prefix: '::', length: 0, preference: 'medium', lifetime: 12 },
    ]);
  });

  it('the RA carries PREF64 (the binding over [ipv6] pref64, RFC 8781) and the captive portal URI (RFC 8910)', async () => {
    const ras = await capturedRas('tap30', 500);
    expect(ras.length).toBeGreaterThanOrEqual(1);
    const o = ras[0]!.options;
    const pref64 = o.find((x): x is Extract<NdpOption, { kind: 'pref64' }> => x.kind === 'pref64');
    expect(pref64).toMatchObject({ prefix: '2001:db8:64::', prefixLength: 96 });
    expect(pref64!.scaledLifetime * 8).toBeGreaterThanOrEqual(12); // never shorter than the router lifetime
    expect(o).toContainEqual({ kind: 'captive-portal', uri: 'https://portal.example/api' });
    // Another tap gets [ipv6] pref64 and no portal.
    const other = (await capturedRas('tap32', 500))[0]!.options;
    expect(other.find((x) => x.kind === 'pref64')).toMatchObject({ prefix: '64:ff9b::', prefixLength: 96 });
    expect(other.find((x) => x.kind === 'captive-portal')).toBeUndefined();
  });

  it('MODE6=dhcpv6: M=1 O=1 and A=0, and the VM kernel forms no SLAAC address', async () => {
    const a = (await rdisc6(lab, 'tap31')).adverts[0]!;
    expect(a).toMatchObject({ managed: true, other: true });
    expect(a.prefixes).toEqual([expect.objectContaining({ prefix: '2001:db8:31::', autonomous: false, onLink: true })]);
    // The same kernel forms one on a slaac+dhcpv6 tap (tap32) — so its absence here is the A flag's doing.
    await addressLine('tap32', '2001:db8:32:0:a800:ff:fe00:32');
    await sleep(3_000); // several RAs (ra_period 4, initial burst) have reached tap31's VM
    expect(await addrs('tap31')).not.toMatch(/inet6 2001:db8:31:/);
    expect(await lab.run('tap31', ['ip', '-6', 'route', 'show', 'default'])).toContain('via fe80::'); // the RA itself was accepted
  });

  it('[nd] addresses: ndisc6 for fe80::a9fe:a9fe gets the tap MAC on any bound tap; not on an address not listed', async () => {
    for (const tap of ['tap32', 'tap31']) {
      const r = await ndisc6(lab, tap, 'fe80::a9fe:a9fe');
      expect(r.answers.map((x) => x.targetMac)).toEqual([tapMac[tap]]);
    }
    expect((await ndisc6(lab, 'tap32', 'fe80::a9fe:a9ff', { retries: 2 })).answers).toEqual([]);
  });

  it('a changed SUBNET6: the next RAs carry the new prefix and the old one deprecated; the VM stops preferring its old address', async () => {
    const old = '2001:db8:32:0:a800:ff:fe00:32';
    await addressLine('tap32', old, (l) => !/deprecated/.test(l));
    d.writeBinding('tap32', binding6(32).replaceAll('2001:db8:32::', '2001:db8:3232::'));
    await d.waitLog({ tap: 'tap32', msg: 'SUBNET6 changed: the old prefix is deprecated in the next RAs' });
    await addressLine('tap32', '2001:db8:3232:0:a800:ff:fe00:32');
    const line = await addressLine('tap32', old, (l) => /deprecated/.test(l));
    expect(line).toMatch(/preferred_lft 0sec/);
    const ras = await capturedRas('tap32', 500);
    const pios = ras[0]!.options.filter((x): x is Extract<NdpOption, { kind: 'prefix' }> => x.kind === 'prefix');
    expect(pios.map((p) => [p.prefix, p.preferredLifetime])).toEqual([['2001:db8:3232::', 14400], ['2001:db8:32::', 0]]);
    expect(pios[1]!.validLifetime).toBeLessThanOrEqual(7200);
  });

  it('a removed binding: its final RA deprecates the prefix in the VM kernel (preferred_lft 0) and withdraws the router', async () => {
    const addr = '2001:db8:30:0:a800:ff:fe00:30';
    await addressLine('tap30', addr, (l) => !/deprecated/.test(l));
    rmSync(join(d.datapath, 'tap30'));
    await d.waitLog({ tap: 'tap30', msg: 'final router advertisement (lifetime 0, prefix deprecated) sent for a binding that stopped advertising' });
    const line = await addressLine('tap30', addr, (l) => /deprecated/.test(l));
    expect(line).toMatch(/preferred_lft 0sec/);
    expect(line).not.toMatch(/valid_lft (forever|[89]\d{4}sec)/); // at most two hours left
    expect(await lab.run('tap30', ['ip', '-6', 'route', 'show', 'default'])).toBe('');
  });
});
