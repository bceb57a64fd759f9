/**
 * Stateful DHCPv6 from the binding (issue 14, item 2) with real clients:
 * `dhclient -6 -N` gets exactly IP6, `dhclient -6 -P` exactly PREFIX6, both
 * renew (T1 of 3 s here) and release; dhcpcd with ia_na and ia_pd gets both
 * from one Solicit; a guest using another tap's MAC, or on an unbound tap,
 * gets nothing; a tap in mode dhcpv6 without an address says so in
 * `onlinkctl show`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dhcpcd6, startDhclient6Stateful } from './clients.js';
import { Lab, describeLab } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';

// Short timers so a renewal happens within the test (T1 <= T2 <= preferred <= valid).
const CONFIG = `[ipv6]
dhcpv6_valid_lifetime = 120
dhcpv6_preferred_lifetime = 60
dhcpv6_renewal = 3
dhcpv6_rebinding = 40
`;

function binding(n: number, extra: string[]): string {
  return bindingText({ mac: `aa:00:00:00:00:${n}`, extra: [`SUBNET6=2001:db8:${n}::/64`, `GATEWAY6=2001:db8:${n}::1`, ...extra].join('\n') });
}

describeLab('Stateful DHCPv6 with real clients', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    lab = await Lab.create({
      vms: [
        { tap: 'tap60', mac: 'aa:00:00:00:00:60' }, // dhclient -6 -N
        { tap: 'tap61', mac: 'aa:00:00:00:00:61' }, // dhclient -6 -P
        { tap: 'tap62', mac: 'aa:00:00:00:00:62' }, // dhcpcd ia_na + ia_pd
        { tap: 'tap63', mac: 'aa:00:00:00:00:60' }, // a guest on tap63 using tap60's MAC
        { tap: 'tap64', mac: 'aa:00:00:00:00:64' }, // no binding
        { tap: 'tap65', mac: 'aa:00:00:00:00:65' }, // MODE6=dhcpv6 with nothing to give
      ],
    });
    d = new Onlinkd(lab);
    d.writeBinding('tap60', binding(60, ['MODE6=dhcpv6', 'IP6=2001:db8:60::77', 'EUI64=2001:db8:60:0:a800:ff:fe00:60']));
    d.writeBinding('tap61', binding(61, ['MODE6=dhcpv6', 'PREFIX6=2001:db8:161::/56', 'EUI64=2001:db8:61:0:a800:ff:fe00:61']));
    d.writeBinding('tap62', binding(62, ['MODE6=dhcpv6', 'IP6=2001:db8:62::62', 'PREFIX6=2001:db8:162::/56']));
    d.writeBinding('tap63', binding(63, ['MODE6=dhcpv6', 'IP6=2001:db8:63::63']));
    d.writeBinding('tap65', binding(65, ['MODE6=dhcpv6']));
    await d.start(CONFIG);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('dhclient -6 -N gets exactly IP6, renews it, and releases it', async () => {
    const s = await startDhclient6Stateful(lab, 'tap60');
    try {
      const bound = await s.waitForEvent(['BOUND6'], 15_000);
      expect(bound?.env.new_ip6_address).toBe('2001:db8:60::77');
      const renewed = await s.waitForEvent(['RENEW6', 'REBIND6'], 15_000, s.events().length);
      expect(renewed?.reason).toBe('RENEW6');
      expect(renewed?.env.new_ip6_address).toBe('2001:db8:60::77');
      const r = await s.release();
      expect(r.code).toBe(0);
      // The Reply ends the release at once: one transmission (without it dhclient retransmits, RFC 8415 §18.2.7 REL_MAX_RC 4).
      expect(r.stderr.match(/XMT: Release on eth0/g)).toHaveLength(1);
      const stats = await d.ctl(['stats', 'tap60']);
      expect(stats.stdout).toMatch(/requests: .*dhcp6-solicit=1 dhcp6-request=1 dhcp6-renew=\d+ dhcp6-release=1/);
      expect(stats.stdout).not.toMatch(/drops:.*dhcp6-/); // (the guest's own DAD NS may be counted as a drop)
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('dhclient -6 -P gets exactly PREFIX6 and renews it', async () => {
    const s = await startDhclient6Stateful(lab, 'tap61', { ia: { address: false, prefix: true } });
    try {
      const bound = await s.waitForEvent(['BOUND6'], 15_000);
      expect(bound?.env.new_ip6_prefix).toBe('2001:db8:161::/56');
      expect(bound?.env.new_ip6_address).toBeUndefined();
      const renewed = await s.waitForEvent(['RENEW6', 'REBIND6'], 15_000, s.events().length);
      expect(renewed?.reason).toBe('RENEW6');
      expect(renewed?.env.new_ip6_prefix).toBe('2001:db8:161::/56');
      expect((await s.release()).stderr.match(/XMT: Release on eth0/g)).toHaveLength(1);
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('dhcpcd with ia_na and ia_pd gets IP6 and PREFIX6 from one exchange', async () => {
    const ev = await dhcpcd6(lab, 'tap62');
    expect(ev).not.toBeNull();
    const env = ev!.env;
    expect(env).toMatchObject({
      new_dhcp6_ia_na1_iaid: '00000001', new_dhcp6_ia_na1_ia_addr1: '2001:db8:62::62', new_dhcp6_ia_na1_ia_addr1_pltime: '60', new_dhcp6_ia_na1_ia_addr1_vltime: '120',
      new_dhcp6_ia_na1_t1: '3', new_dhcp6_ia_na1_t2: '40',
      new_dhcp6_ia_pd1_iaid: '00000002', new_dhcp6_ia_pd1_prefix1: '2001:db8:162::', new_dhcp6_ia_pd1_prefix1_length: '56',
    });
  }, 30_000);

  it('a guest with another tap\'s MAC, or on an unbound tap, gets nothing', async () => {
    for (const tap of ['tap63', 'tap64']) {
      const s = await startDhclient6Stateful(lab, tap, { timeoutSec: 4 });
      try {
        expect(await s.waitForEvent(['BOUND6'], 6_000), tap).toBeNull();
      } finally {
        await s.stop();
      }
    }
    const stats = await d.ctl(['stats', 'tap63']);
    expect(stats.stdout).toMatch(/foreign-source-mac=\d+/);
  }, 30_000);

  it('MODE6=dhcpv6 without IP6/EUI64 is a warning in show', async () => {
    const show = await d.ctl(['show', 'tap65']);
    expect(show.stdout).toMatch(/^warning: +IPv6 mode dhcpv6 without IP6, EUI64 or PREFIX6/m);
    expect((await d.ctl(['show', 'tap60'])).stdout).not.toMatch(/^warning:/m);
  });
});
