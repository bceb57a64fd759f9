import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { KEY_FAMILIES } from '../../../src/config/keys.js';
import { CONFIG_KEYS, ConfigError, KEY_ENTRIES, defaultSettings, loadConfig, parseConfig, withOverrides } from '../../../src/config/config.js';
import { exampleLinePattern } from '../../../src/config/docs.js';
import { MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES, MAX_SEARCH_LIST_OCTETS } from '../../../src/protocols/reply-limits.js';

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
      ['[ipv6]\nmode = stateful\n', 2, 'mode'],
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

  // Issue 12, item 2: caches keyed on a Settings object's identity are safe because nobody can change it.
  it('settings are frozen all the way down; withOverrides makes a frozen copy sharing untouched sections', () => {
    const s = parseConfig('[dhcp]\nnameservers = 192.0.2.2\nroutes = 10.0.0.0/8 via 203.0.113.1\n');
    for (const o of [s, s.general, s.dhcp, s.dhcp.nameservers, s.dhcp.routes, s.dhcp.routes[0], s.unused, defaultSettings(), defaultSettings().arp.addresses]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
    expect(() => {
      (s.dhcp as { leaseLifetime: number }).leaseLifetime = 1;
    }).toThrow(TypeError);
    const o = withOverrides(s, { general: { datapath: '/srv/bindings' } });
    expect(o.general.datapath).toBe('/srv/bindings');
    expect(s.general.datapath).toBe('/var/lib/onlinkd');
    expect(o.general.controlSocket).toBe(s.general.controlSocket);
    expect(o.dhcp).toBe(s.dhcp);
    expect(Object.isFrozen(o) && Object.isFrozen(o.general)).toBe(true);
    // The embedded defaults are what an empty file gives.
    expect(parseConfig('')).toEqual(defaultSettings());
  });

  it('falls back to embedded defaults only when no path was given', () => {
    // The default path does not exist on a test machine without a package install.
    const { source } = loadConfig(undefined);
    expect(['<embedded defaults>', '/etc/onlinkd/onlinkd.conf']).toContain(source);
    expect(() => loadConfig('/nonexistent/onlinkd.conf')).toThrow(/cannot read/);
  });
});

describe('config/onlinkd.conf', () => {
  it('parses and documents every key onlinkd accepts, with its default (from the key table)', () => {
    const text = readFileSync(new URL('../../../config/onlinkd.conf', import.meta.url), 'utf8');
    const s = parseConfig(text, 'config/onlinkd.conf');
    expect(s.general.datapath).toBe('/var/lib/onlinkd');
    // It shows the defaults, so it parses to exactly them.
    expect(s).toEqual(defaultSettings());
    expect(KEY_ENTRIES.length).toBeGreaterThan(40);
    // Each key in its own section (nameservers, for one, is in two).
    const sectionText = (section: string) => text.split(/^\[/m).find((part) => part.startsWith(`${section}]`)) ?? '';
    for (const { section, spec } of KEY_ENTRIES) expect(sectionText(section), `[${section}] ${spec.key}`).toMatch(exampleLinePattern(spec));
    // Every Settings field has its key, and no key is listed twice.
    const fields = [...KEY_ENTRIES.map((e) => `${e.section}.${e.field}`), ...KEY_FAMILIES.map((f) => `${f.target}.${f.field}`)];
    // The option sections are shown with an example, commented out.
    for (const f of KEY_FAMILIES) expect(sectionText(f.section), `[${f.section}]`).toMatch(/^# \d+ = \S/m);
    expect(new Set(fields).size).toBe(fields.length);
    expect(fields.sort()).toEqual(
      Object.entries(defaultSettings()).flatMap(([sec, v]) => (sec === 'unused' ? [] : Object.keys(v as object).map((f) => `${sec}.${f}`))).sort(),
    );
    expect(new Set(CONFIG_KEYS).size).toBe(CONFIG_KEYS.length);
  });

  // Issue 11: "constructor" gave "spec.parse is not a function" (a lookup that reached Object.prototype).
  it('Object.prototype names are unknown keys and sections, not crashes', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      expect(() => parseConfig(`[dhcp]\n${name} = 1\n`, 'x.conf'), name).toThrow(new RegExp(`x\\.conf:2: ${name}: unknown key in \\[dhcp\\]`, 'i'));
      expect(() => parseConfig(`[${name}]\nx = 1\n`, 'x.conf'), name).toThrow(/unknown section/);
    }
  });

  // Issue 11: an ordinary nfdhcpd.conf edit stopped the daemon over a default the user never set.
  it('T1/T2 the file does not set never make a valid lease_lifetime an error (RFC 2131 §4.4.5)', () => {
    const d = (text: string) => parseConfig(`[dhcp]\n${text}`).dhcp;
    expect(d('lease_lifetime = 3600\n')).toMatchObject({ leaseLifetime: 3600, leaseRenewal: 1800, leaseRebinding: 3150 });
    expect(d('lease_lifetime = 60\n')).toMatchObject({ leaseRenewal: 30, leaseRebinding: 52 });
    expect(d('lease_lifetime = 4000\n')).toMatchObject({ leaseRenewal: 2000, leaseRebinding: 3500 });
    // nfdhcpd's hour stays where it fits.
    expect(d('lease_lifetime = 86400\n')).toMatchObject({ leaseRenewal: 3600, leaseRebinding: 75600 });
    expect(defaultSettings().dhcp.leaseRenewal).toBe(3600);
    expect(parseConfig('').dhcp).toMatchObject({ leaseRenewal: 3600, leaseRebinding: 529200 });
    // Next to a value the file sets, the unset one fits around it.
    expect(d('lease_lifetime = 3600\nlease_renewal = 3500\n')).toMatchObject({ leaseRenewal: 3500, leaseRebinding: 3550 });
    expect(d('lease_lifetime = 3600\nlease_rebinding = 1000\n')).toMatchObject({ leaseRenewal: 500, leaseRebinding: 1000 });
    expect(d('lease_lifetime = 7200\nlease_rebinding = 5000\n')).toMatchObject({ leaseRenewal: 3600, leaseRebinding: 5000 });
    for (let lease = 60; lease <= 200_000; lease = Math.ceil(lease * 1.37)) {
      const s = d(`lease_lifetime = ${lease}\n`);
      expect(s.leaseRenewal < s.leaseRebinding && s.leaseRebinding < lease, String(lease)).toBe(true);
    }
    // Only what the file sets can conflict, and the error names it.
    expect(() => d('lease_lifetime = 3600\nlease_renewal = 3599\n')).toThrow(/:3: lease_renewal: leaves no room for T2/);
  });

  // Issue 11, defect 8: the configuration feeds the same replies as the binding files, with the same limits.
  it('limits the lists that go into replies', () => {
    const v4 = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`).join(', ');
    const v6 = (n: number) => Array.from({ length: n }, (_, i) => `2001:db8::${(i + 1).toString(16)}`).join(', ');
    const routes = (n: number) => Array.from({ length: n }, (_, i) => `10.${i}.0.0/16 via 203.0.113.1`).join(', ');
    // Names of 14 octets encoded (d000.example: 1+4+1+7+1), as many as fit `octets`.
    const domains = (octets: number) => {
      const names: string[] = [];
      for (let i = 0, used = 0; used + 14 <= octets; i++, used += 14) names.push(`d${String(i).padStart(3, '0')}.example`);
      return names.join(' ');
    };
    expect(parseConfig(`[dhcp]\nnameservers = ${v4(MAX_DNS4_SERVERS)}\n`).dhcp.nameservers).toHaveLength(MAX_DNS4_SERVERS);
    expect(() => parseConfig(`[dhcp]\nnameservers = ${v4(MAX_DNS4_SERVERS + 1)}\n`)).toThrow(/:2: nameservers: more than \d+ servers/);
    expect(parseConfig(`[ipv6]\nnameservers = ${v6(MAX_DNS6_SERVERS)}\n`).ipv6.nameservers).toHaveLength(MAX_DNS6_SERVERS);
    expect(() => parseConfig(`[ipv6]\nnameservers = ${v6(MAX_DNS6_SERVERS + 1)}\n`)).toThrow(/:2: nameservers: more than/);
    expect(() => parseConfig(`[ipv6]\nnameservers = ${v6(128)}\n`)).toThrow(/nameservers: more than/);
    expect(parseConfig(`[dhcp]\nroutes = ${routes(MAX_ROUTES)}\n`).dhcp.routes).toHaveLength(MAX_ROUTES);
    expect(() => parseConfig(`[dhcp]\nroutes = ${routes(MAX_ROUTES + 1)}\n`)).toThrow(/:2: routes: more than/);
    for (const key of ['[dhcp]\ndomain_search', '[ipv6]\ndomains']) {
      expect(() => parseConfig(`${key} = ${domains(MAX_SEARCH_LIST_OCTETS)}\n`)).not.toThrow();
      expect(() => parseConfig(`${key} = ${domains(MAX_SEARCH_LIST_OCTETS + 14)}\n`)).toThrow(/search list of \d+ octets/);
    }
  });

  it('checks [announce] uplink names like the binding files check UPLINK', () => {
    expect(parseConfig('[announce]\nuplink = eth0.100\n').announce.uplink).toBe('eth0.100');
    expect(() => parseConfig('[announce]\nuplink = "eth 0"\n')).toThrow(/:2: uplink: "eth 0" is not a valid interface name/);
    expect(() => parseConfig('[announce]\nuplink6 = ../x\n')).toThrow(/uplink6/);
  });
});
