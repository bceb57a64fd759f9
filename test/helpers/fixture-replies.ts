/**
 * What onlinkd sends back to each committed client capture
 * (test/fixtures/*.pcap), through the whole in-process packet path: the
 * frames as hex, per fixture. The golden file
 * test/fixtures/replies-before-issue-13.json holds what commit 4856d42
 * (before issue 13's responder changes) sent, made by running this same
 * helper in a worktree of that commit (test/fixtures/README.md says how);
 * the interop test compares today's replies with it byte for byte.
 *
 * Only APIs that exist unchanged at that commit are used here (pathRig,
 * fixture, the binding file format, SettingsOverrides), so the helper runs
 * in both trees.
 */
import { fixture } from './pcap.js';
import { pathRig } from './path-rig.js';

/** Every committed capture of a client request (DHCPv4, DHCPv6, RS, NS). */
export const REPLY_FIXTURES = [
  'dhclient-discover.pcap',
  'dhclient-init-reboot-request.pcap',
  'udhcpc-discover.pcap',
  'dhcpcd-discover.pcap',
  'windows10-discover.pcap',
  'ipxe-discover.pcap',
  'dhclient6-information-request.pcap',
  'dhclient6-information-request-csum-partial.pcap',
  'rdisc6-rs.pcap',
  'ndisc6-ns-router-ll.pcap',
  'ndisc6-ns-global.pcap',
] as const;

/**
 * A binding that makes every reply say something: IPv4 at the address the
 * INIT-REBOOT capture asks for, IPv6, host name, MTU; no key of issue 13.
 */
const BINDING = [
  'MAC=aa:00:00:00:00:10', 'IP=203.0.113.17', 'SUBNET=203.0.113.0/24', 'GATEWAY=203.0.113.1', 'HOSTNAME=vm10', 'MTU=1500',
  'SUBNET6=2001:db8:10::/64', 'GATEWAY6=2001:db8:10::1', 'EUI64=2001:db8:10:0:a800:ff:fe00:10',
].join('\n') + '\n';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** fixture name → the reply frames (hex) the packet path sent for it; `extra`: binding lines added (not at 4856d42). */
export function fixtureReplies(extra = ''): Record<string, string[]> {
  const rig = pathRig({
    guard: { rate: 1e9, burst: 1e9 },
    dhcp: { nameservers: ['203.0.113.53'], domain: 'example.test', domainSearch: ['example.test', 'lab.example.test'] },
    ipv6: { nameservers: ['2001:db8::53'], domains: ['example.test'] },
  });
  rig.addTap('tap10', 7, 'fe:00:00:00:00:10', BINDING + extra);
  // The iPXE capture comes from its own VM (chaddr aa:00:00:00:00:30, tap30).
  rig.addTap('tap30', 8, 'fe:00:00:00:00:30', BINDING.replace('aa:00:00:00:00:10', 'aa:00:00:00:00:30').replace(/^EUI64=.*\n/m, '') + extra);
  const out: Record<string, string[]> = {};
  for (const name of REPLY_FIXTURES) {
    out[name] = [];
    for (const frame of fixture(name)) {
      rig.sent.length = 0;
      rig.path.handle({ ifindex: name.startsWith('ipxe') ? 8 : 7, data: frame.slice(), checksumNotReady: name.includes('csum-partial') });
      out[name].push(...rig.sent.map((s) => hex(s.frame)));
    }
  }
  return out;
}
