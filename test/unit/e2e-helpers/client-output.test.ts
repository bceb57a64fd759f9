/**
 * Parsers of real client output (test/helpers/client-output.ts). The
 * samples below were recorded from the Debian 12 clients in a lab
 * (isc-dhcp-client 4.4.3-P1, busybox 1.35.0 udhcpc, dhcpcd 9.4.1,
 * ndisc6 1.0.5) against busybox udhcpd and a scapy responder.
 */

import { describe, expect, it } from 'vitest';
import {
  decodeRfc3442,
  infoFromDhclient6,
  leaseFromDhclient,
  leaseFromDhcpcd,
  leaseFromUdhcpc,
  maskToPrefixLength,
  parseDhclientClasslessRoutes,
  parseEnvDump,
  parseNdisc6,
  parseRdisc6,
  parseRdisc6Number,
  parseRoutePairs,
} from '../../helpers/client-output.js';

/** Build a dump the way the hook scripts write it: marker, then `env -0`. */
function dump(reason: string, env: string): string {
  const entries = env.trim().split('\n').map((l) => l.trim());
  return `__olk_event=${reason}\0${entries.join('\0')}\0`;
}

const DHCLIENT_BOUND = `
requested_domain_name_servers=1
requested_broadcast_address=1
new_network_number=203.0.113.0
new_ip_address=203.0.113.17
new_dhcp_message_type=5
pid=4870
new_routers=203.0.113.1
new_expiry=1795314882
new_subnet_mask=255.255.255.0
interface=eth0
new_domain_name=example.test
reason=BOUND
new_interface_mtu=1450
requested_routers=1
new_rfc3442_classless_static_routes=24 198 51 100 203 0 113 1 0 203 0 113 1
PATH=/usr/sbin:/sbin:/bin:/usr/sbin:/usr/bin
requested_subnet_mask=1
new_host_name=vm10
requested_domain_name=1
new_dhcp_server_identifier=203.0.113.1
requested_interface_mtu=1
new_domain_name_servers=198.51.100.53 198.51.100.54
requested_rfc3442_classless_static_routes=1
new_broadcast_address=203.0.113.255
dad_wait_time=0
requested_host_name=1
new_next_server=0.0.0.0
new_dhcp_lease_time=600`;

const UDHCPC_BOUND = `
subnet=255.255.255.0
router=203.0.113.1
staticroutes=198.51.100.0/24 203.0.113.1 0.0.0.0/0 203.0.113.1
domain=example.test
interface=eth0
dns=198.51.100.53 198.51.100.54
serverid=203.0.113.1
mtu=1450
ip=203.0.113.17
lease=600
mask=24
hostname=vm10
opt53=05`;

const DHCPCD_TEST = `
new_subnet_cidr=24
if_configured=true
new_ip_address=203.0.113.17
new_network_number=203.0.113.0
pid=4988
new_dhcp_message_type=2
new_routers=203.0.113.1
new_subnet_mask=255.255.255.0
interface=eth0
new_domain_name=example.test
reason=TEST
new_interface_mtu=1450
protocol=dhcp
new_host_name=vm10
new_dhcp_server_identifier=203.0.113.1
new_classless_static_routes=198.51.100.0/24 203.0.113.1 0.0.0.0/0 203.0.113.1
new_domain_name_servers=198.51.100.53 198.51.100.54
new_broadcast_address=203.0.113.255
new_dhcp_lease_time=600`;

const DHCLIENT6_RENEW6 = `
pid=10307
new_dhcp6_server_id=0:3:0:1:fe:0:0:0:0:1
new_dhcp6_domain_search=example.test.
interface=eth0
reason=RENEW6
requested_dhcp6_domain_search=1
new_dhcp6_name_servers=2001:db8::53
new_dhcp6_client_id=0:3:0:1:aa:0:0:0:0:10
requested_dhcp6_name_servers=1`;

const ROUTES = [
  { destination: '198.51.100.0/24', gateway: '203.0.113.1' },
  { destination: '0.0.0.0/0', gateway: '203.0.113.1' },
];

describe('parseEnvDump', () => {
  it('splits events at the marker and keeps values with = and newlines', () => {
    const text = `__olk_event=PREINIT\0reason=PREINIT\0A=b=c\0__olk_event=BOUND\0reason=BOUND\0MULTI=line1\nline2\0`;
    expect(parseEnvDump(text)).toEqual([
      { reason: 'PREINIT', env: { reason: 'PREINIT', A: 'b=c' } },
      { reason: 'BOUND', env: { reason: 'BOUND', MULTI: 'line1\nline2' } },
    ]);
  });

  it('ignores entries before the first marker, empty entries and entries without a key', () => {
    expect(parseEnvDump('X=1\0\0=nokey\0noequals\0__olk_event=bound\0ip=1.2.3.4\0')).toEqual([
      { reason: 'bound', env: { ip: '1.2.3.4' } },
    ]);
    expect(parseEnvDump('')).toEqual([]);
  });

  it('accepts bytes', () => {
    expect(parseEnvDump(new TextEncoder().encode('__olk_event=TEST\0a=1\0'))).toEqual([{ reason: 'TEST', env: { a: '1' } }]);
  });
});

describe('option 121 decoding', () => {
  it('decodes RFC 3442 bytes, including /0 and non-octet widths', () => {
    expect(decodeRfc3442([24, 198, 51, 100, 203, 0, 113, 1, 0, 203, 0, 113, 1])).toEqual(ROUTES);
    expect(decodeRfc3442([25, 198, 51, 100, 128, 203, 0, 113, 1])).toEqual([{ destination: '198.51.100.128/25', gateway: '203.0.113.1' }]);
    expect(decodeRfc3442([32, 198, 51, 100, 7, 0, 0, 0, 0])).toEqual([{ destination: '198.51.100.7/32', gateway: '0.0.0.0' }]);
    expect(decodeRfc3442([])).toEqual([]);
  });

  it('rejects truncated or invalid descriptors', () => {
    expect(decodeRfc3442([24, 198, 51, 100, 203, 0, 113])).toBeUndefined();
    expect(decodeRfc3442([33, 1, 2, 3, 4, 5, 1, 2, 3, 4])).toBeUndefined();
    expect(decodeRfc3442([8, 256, 1, 2, 3, 4])).toBeUndefined();
  });

  it('parses dhclient text (spaces or commas) and route pairs', () => {
    expect(parseDhclientClasslessRoutes('24 198 51 100 203 0 113 1 0 203 0 113 1')).toEqual(ROUTES);
    expect(parseDhclientClasslessRoutes('24,198,51,100,203,0,113,1,0,203,0,113,1')).toEqual(ROUTES);
    expect(parseDhclientClasslessRoutes('')).toEqual([]);
    expect(parseDhclientClasslessRoutes('24 x')).toBeUndefined();
    expect(parseDhclientClasslessRoutes(undefined)).toBeUndefined();
    expect(parseRoutePairs('198.51.100.0/24 203.0.113.1 0.0.0.0/0 203.0.113.1')).toEqual(ROUTES);
    expect(parseRoutePairs('198.51.100.0/24')).toBeUndefined();
    expect(parseRoutePairs('198.51.100.0 203.0.113.1')).toBeUndefined();
    expect(parseRoutePairs(undefined)).toBeUndefined();
  });

  it('maskToPrefixLength', () => {
    expect(maskToPrefixLength('255.255.255.0')).toBe(24);
    expect(maskToPrefixLength('255.255.255.255')).toBe(32);
    expect(maskToPrefixLength('0.0.0.0')).toBe(0);
    expect(maskToPrefixLength('255.255.128.0')).toBe(17);
    expect(maskToPrefixLength('255.0.255.0')).toBeUndefined();
    expect(maskToPrefixLength('nonsense')).toBeUndefined();
  });
});

describe('lease normalization', () => {
  const common = {
    ip: '203.0.113.17', subnetMask: '255.255.255.0', prefixLength: 24, routers: ['203.0.113.1'],
    dns: ['198.51.100.53', '198.51.100.54'], domainName: 'example.test', hostName: 'vm10',
    serverId: '203.0.113.1', leaseTime: 600, mtu: 1450, classlessRoutes: ROUTES,
  };

  it('dhclient BOUND', () => {
    const [ev] = parseEnvDump(dump('BOUND', DHCLIENT_BOUND));
    expect(leaseFromDhclient(ev!)).toMatchObject({ client: 'dhclient', reason: 'BOUND', broadcast: '203.0.113.255', ...common });
  });

  it('udhcpc bound (subnet from `subnet`, prefix from `mask`)', () => {
    const [ev] = parseEnvDump(dump('bound', UDHCPC_BOUND));
    expect(leaseFromUdhcpc(ev!)).toMatchObject({ client: 'udhcpc', reason: 'bound', ...common });
  });

  it('dhcpcd TEST', () => {
    const [ev] = parseEnvDump(dump('TEST', DHCPCD_TEST));
    expect(leaseFromDhcpcd(ev!)).toMatchObject({ client: 'dhcpcd', reason: 'TEST', broadcast: '203.0.113.255', ...common });
  });

  it('reports missing options as empty/undefined, malformed 121 as undefined with the raw text', () => {
    const [ev] = parseEnvDump(dump('BOUND', 'new_ip_address=203.0.113.9\nnew_rfc3442_classless_static_routes=24 198'));
    const lease = leaseFromDhclient(ev!);
    expect(lease.routers).toEqual([]);
    expect(lease.dns).toEqual([]);
    expect(lease.subnetMask).toBeUndefined();
    expect(lease.classlessRoutes).toBeUndefined();
    expect(lease.classlessRoutesRaw).toBe('24 198');
  });

  it('dhclient -6 -S RENEW6', () => {
    const [ev] = parseEnvDump(dump('RENEW6', DHCLIENT6_RENEW6));
    expect(infoFromDhclient6(ev!)).toMatchObject({
      reason: 'RENEW6', dns: ['2001:db8::53'], domainSearch: ['example.test.'],
      serverId: '0:3:0:1:fe:0:0:0:0:1', clientId: '0:3:0:1:aa:0:0:0:0:10',
    });
  });
});

const RDISC6_SIMPLE = `Soliciting ff02::2 (ff02::2) on eth0...

Hop limit                 :           64 (      0x40)
Stateful address conf.    :           No
Stateful other conf.      :          Yes
Mobile home agent         :           No
Router preference         :         high
Neighbor discovery proxy  :           No
Router lifetime           :         1800 (0x00000708) seconds
Reachable time            :  unspecified (0x00000000)
Retransmit time           :  unspecified (0x00000000)
 Source link-layer address: FE:00:00:00:00:01
 MTU                      :         1500 bytes (valid)
 Prefix                   : 2001:db8:10::/64
  On-link                 :          Yes
  Autonomous address conf.:          Yes
  Valid time              :        86400 (0x00015180) seconds
  Pref. time              :        14400 (0x00003840) seconds
 Recursive DNS server     : 2001:db8::53
  DNS server lifetime     :          600 (0x00000258) seconds
 DNS search list          : example.test 
  DNS search list lifetime:          600 (0x00000258) seconds
 from fe80::1
`;

const RDISC6_FULL = `Soliciting ff02::2 (ff02::2) on eth0...

Hop limit                 :    undefined (      0x00)
Stateful address conf.    :          Yes
Stateful other conf.      :           No
Mobile home agent         :           No
Router preference         :          low
Neighbor discovery proxy  :           No
Router lifetime           :            0 (0x00000000) seconds
Reachable time            :        30000 (0x00007530) milliseconds
Retransmit time           :         1000 (0x000003e8) milliseconds
 Source link-layer address: FE:00:00:00:00:01
 MTU                      :         1450 bytes (valid)
 Prefix                   : 2001:db8:10::/64
  On-link                 :          Yes
  Autonomous address conf.:           No
  Valid time              :     infinite (0xffffffff)
  Pref. time              :     infinite (0xffffffff)
 Prefix                   : 2001:db8:11::/64
  On-link                 :           No
  Autonomous address conf.:          Yes
  Valid time              :         3600 (0x00000e10) seconds
  Pref. time              :            0 (0x00000000) seconds
 Route                    : 2001:db8:99::/48
  Route preference        :         high
  Route lifetime          :          900 (0x00000384) seconds
 Recursive DNS server     : 2001:db8::53
 Recursive DNS server     : 2001:db8::54
  DNS servers lifetime    :     infinite (0xffffffff)
 DNS search list          : example.test sub.example.test 
  DNS search list lifetime:          300 (0x0000012c) seconds
 from fe80::1
`;

describe('parseRdisc6', () => {
  it('numbers: hex in parentheses wins, else a leading decimal', () => {
    expect(parseRdisc6Number('1800 (0x00000708) seconds')).toBe(1800);
    expect(parseRdisc6Number('infinite (0xffffffff)')).toBe(0xffffffff);
    expect(parseRdisc6Number('unspecified (0x00000000)')).toBe(0);
    expect(parseRdisc6Number('64 (      0x40)')).toBe(64);
    expect(parseRdisc6Number('1500 bytes (valid)')).toBe(1500);
    expect(parseRdisc6Number('n/a')).toBeUndefined();
  });

  it('a simple RA', () => {
    const [ra, ...rest] = parseRdisc6(RDISC6_SIMPLE);
    expect(rest).toEqual([]);
    expect(ra).toEqual({
      hopLimit: 64, managed: false, other: true, homeAgent: false, preference: 'high', proxy: false,
      routerLifetime: 1800, reachableTime: 0, retransmitTime: 0, sourceLinkLayer: 'fe:00:00:00:00:01', mtu: 1500,
      prefixes: [{ prefix: '2001:db8:10::', length: 64, onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400 }],
      routes: [], rdnss: [{ server: '2001:db8::53', lifetime: 600 }],
      dnssl: [{ domains: ['example.test'], lifetime: 600 }], from: 'fe80::1', unknown: [],
    });
  });

  it('several prefixes, a route, two RDNSS servers sharing one lifetime, infinite lifetimes', () => {
    const [ra] = parseRdisc6(RDISC6_FULL);
    expect(ra).toMatchObject({
      hopLimit: 0, managed: true, other: false, preference: 'low', routerLifetime: 0,
      reachableTime: 30000, retransmitTime: 1000, mtu: 1450,
      prefixes: [
        { prefix: '2001:db8:10::', length: 64, onLink: true, autonomous: false, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff },
        { prefix: '2001:db8:11::', length: 64, onLink: false, autonomous: true, validLifetime: 3600, preferredLifetime: 0 },
      ],
      routes: [{ prefix: '2001:db8:99::', length: 48, preference: 'high', lifetime: 900 }],
      rdnss: [{ server: '2001:db8::53', lifetime: 0xffffffff }, { server: '2001:db8::54', lifetime: 0xffffffff }],
      dnssl: [{ domains: ['example.test', 'sub.example.test'], lifetime: 300 }],
      from: 'fe80::1', unknown: [],
    });
  });

  it('several RAs (rdisc6 without -1) and a time-out', () => {
    expect(parseRdisc6(RDISC6_SIMPLE + RDISC6_FULL.replace('from fe80::1', 'from fe80::2')).map((r) => r.from)).toEqual(['fe80::1', 'fe80::2']);
    expect(parseRdisc6('Soliciting ff02::2 (ff02::2) on eth0...\nTimed out.\nNo response.\n')).toEqual([]);
  });

  it('keeps lines it does not know', () => {
    const [ra] = parseRdisc6(RDISC6_SIMPLE.replace(' from fe80::1', ' Mystery option          : 42\n from fe80::1'));
    expect(ra!.unknown).toEqual([' Mystery option          : 42']);
  });
});

describe('parseNdisc6', () => {
  it('answers and a time-out', () => {
    expect(parseNdisc6('Soliciting fe80::1 (fe80::1) on eth0...\nTarget link-layer address: FE:00:00:00:00:01\n from fe80::1\n'))
      .toEqual([{ targetMac: 'fe:00:00:00:00:01', from: 'fe80::1' }]);
    expect(parseNdisc6('Soliciting 2001:db8:10::1 (2001:db8:10::1) on eth0...\nTarget link-layer address: FE:00:00:00:00:01\n from 2001:db8:10::1\n'))
      .toEqual([{ targetMac: 'fe:00:00:00:00:01', from: '2001:db8:10::1' }]);
    expect(parseNdisc6('Soliciting 2001:db8::9 (2001:db8::9) on eth0...\nTimed out.\nNo response.\n')).toEqual([]);
  });

  it('several answers (-m) and one cut short', () => {
    const out = 'Target link-layer address: FE:00:00:00:00:01\n from fe80::1\nTarget link-layer address: FE:00:00:00:00:02\n';
    expect(parseNdisc6(out)).toEqual([
      { targetMac: 'fe:00:00:00:00:01', from: 'fe80::1' },
      { targetMac: 'fe:00:00:00:00:02', from: undefined },
    ]);
  });
});
