import { describe, expect, it } from 'vitest';
import { ConfigError, defaultSettings, loadConfig, parseConfig } from '../../src/config.js';

const NFDHCPD_SAMPLE = `## nfdhcpd sample configuration file
[general]
pidfile = /var/run/nfdhcpd/nfdhcpd.pid
datapath = /var/lib/nfdhcpd # Where the client configuration will be read from
logdir = /var/log/nfdhcpd   # Where to write our logs
user = nobody # An unprivileged user to run as

[dhcp]
enable_dhcp = yes
lease_lifetime = 604800 # 1 week
lease_renewal = 3600 \t# 1 hour
server_ip = 192.0.2.1
server_on_link = no
dhcp_queue = 42 # NFQUEUE number to listen on for DHCP requests
nameservers = 192.0.2.2, 192.0.2.3
domain = example.com

[ipv6]
enable_ipv6 = yes
enable_dhcpv6 = yes
ra_period = 300 # seconds
rs_queue = 43
ns_queue = 44
dhcpv6_queue = 45
nameservers = 2001:db8:100::1, 2001:db8:200::2
domains = example.com
`;

describe('config', () => {
  it("reads nfdhcpd's own sample file, inline comments included", () => {
    const s = parseConfig(NFDHCPD_SAMPLE, 'nfdhcpd.conf');
    expect(s.general.datapath).toBe('/var/lib/nfdhcpd');
    expect(s.general.user).toBe('nobody');
    expect(s.dhcp.leaseLifetime).toBe(604800);
    expect(s.dhcp.leaseRenewal).toBe(3600);
    expect(s.dhcp.leaseRebinding).toBe(Math.floor(604800 * 0.875));
    expect(s.dhcp.serverIp).toBe('192.0.2.1');
    expect(s.dhcp.nameservers).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(s.dhcp.domain).toBe('example.com');
    expect(s.ipv6.nameservers).toEqual(['2001:db8:100::1', '2001:db8:200::2']);
    expect(s.ipv6.domains).toEqual(['example.com']);
    expect(s.ipv6.raPeriod).toBe(300);
    // NFQUEUE keys are accepted and reported as unused.
    expect(s.unused.map((u) => `${u.section}.${u.key}`)).toEqual([
      'general.pidfile', 'general.logdir', 'dhcp.dhcp_queue', 'ipv6.rs_queue', 'ipv6.ns_queue', 'ipv6.dhcpv6_queue',
    ]);
  });

  it('has embedded defaults matching the documented contract', () => {
    const s = defaultSettings();
    expect(s.general.datapath).toBe('/var/lib/onlinkd');
    expect(s.general.controlSocket).toBe('/run/onlinkd/control.sock');
    expect(s.dhcp.windowsLinkLocalRoute).toBe(true);
    expect(s.ipv6.proxySubnet).toBe(true);
    expect(s.announce).toMatchObject({ arpCount: 2, arpInterval: 2, naCount: 3, naInterval: 1, arpForm: 'request' });
    expect(s.arp).toEqual({ responder: false, addresses: ['169.254.0.0/16'] });
  });

  it('names file, line and key of an unknown key', () => {
    expect(() => parseConfig('[dhcp]\nlease_lifetime = 100\nleese = 3\n', '/etc/x.conf')).toThrow(
      expect.objectContaining({ file: '/etc/x.conf', line: 3, key: 'leese' }),
    );
    expect(() => parseConfig('[dhcp]\nleese = 3\n', '/etc/x.conf')).toThrow('/etc/x.conf:2: leese: unknown key in [dhcp]');
  });

  it('rejects bad values with file, line and key', () => {
    const cases: Array<[string, number, string]> = [
      ['[dhcp]\nnameservers = 192.0.2.300\n', 2, 'nameservers'],
      ['[dhcp]\nserver_on_link = maybe\n', 2, 'server_on_link'],
      ['[ipv6]\n\nra_period = 2\n', 3, 'ra_period'],
      ['[ipv6]\nnameservers = fe80::1%eth0\n', 2, 'nameservers'],
      ['[ipv6]\nmode = dhcpv6\n', 2, 'mode'],
      ['[arp]\naddresses = 10.0.0.1\n', 2, 'addresses'],
      ['[dhcp]\nroutes = 10.0.0.1/8 via 203.0.113.1\n', 2, 'routes'],
      ['[general]\nlog_level = loud\n', 2, 'log_level'],
    ];
    for (const [text, line, key] of cases) {
      let err: unknown;
      try {
        parseConfig(text, 'f.conf');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ line, key });
    }
  });

  it('rejects unknown sections, duplicate keys, syntax errors and bad timer orders', () => {
    expect(() => parseConfig('[dchp]\nx=1\n')).toThrow(/unknown section \[dchp\]/);
    expect(() => parseConfig('[dhcp]\ndomain = a.com\ndomain = b.com\n')).toThrow(/:3: domain: duplicate key \(first set on line 2\)/);
    expect(() => parseConfig('[dhcp]\nthis is not ini\n')).toThrow(/:2: cannot parse line/);
    expect(() => parseConfig('domain = a.com\n')).toThrow(/outside of any \[section\]/);
    expect(() => parseConfig('[dhcp]\nlease_lifetime = 3600\nlease_renewal = 7200\n')).toThrow(/lease_renewal: must be shorter/);
    expect(() => parseConfig('[dhcp]\nlease_lifetime = 3600\nlease_renewal = 600\nlease_rebinding = 500\n')).toThrow(/:4: lease_rebinding/);
  });

  it('parses routes, the ARP list and mode aliases', () => {
    const s = parseConfig(
      '[dhcp]\nroutes = 10.0.0.0/8 via 203.0.113.1, 169.254.169.254/32 via 0.0.0.0\n[ipv6]\nmode = auto\n[arp]\nresponder = yes\naddresses = 169.254.169.254, 169.254.0.0/16\n',
    );
    expect(s.dhcp.routes).toEqual([
      { destination: '10.0.0.0', prefixLength: 8, router: '203.0.113.1' },
      { destination: '169.254.169.254', prefixLength: 32, router: '0.0.0.0' },
    ]);
    expect(s.ipv6.mode).toBe('slaac+dhcpv6');
    expect(s.arp).toEqual({ responder: true, addresses: ['169.254.169.254', '169.254.0.0/16'] });
  });

  it('falls back to embedded defaults only when no path was given', () => {
    // The default path does not exist on a test machine without a package install.
    const { source } = loadConfig(undefined);
    expect(['<embedded defaults>', '/etc/onlinkd/onlinkd.conf']).toContain(source);
    expect(() => loadConfig('/nonexistent/onlinkd.conf')).toThrow(/cannot read/);
  });
});

describe('config/onlinkd.conf', () => {
  it('parses and documents every key onlinkd accepts', async () => {
    const { readFileSync } = await import('node:fs');
    const { CONFIG_KEYS } = await import('../../src/config.js');
    const text = readFileSync(new URL('../../config/onlinkd.conf', import.meta.url), 'utf8');
    const s = parseConfig(text, 'config/onlinkd.conf');
    expect(s.general.datapath).toBe('/var/lib/onlinkd');
    const nfqueue = new Set(['general.pidfile', 'general.logdir', 'dhcp.dhcp_queue', 'ipv6.rs_queue', 'ipv6.ns_queue', 'ipv6.dhcp_queue', 'ipv6.dhcpv6_queue']);
    for (const k of CONFIG_KEYS) {
      if (nfqueue.has(k)) continue;
      const key = k.split('.')[1]!;
      expect(text, k).toMatch(new RegExp(`^#?\\s*${key} =`, 'm'));
    }
  });
});
