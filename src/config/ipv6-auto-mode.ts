/**
 * `[ipv6] mode = auto`, as nfdhcpd chose: it served what it had NFQUEUE
 * queues for. An nfdhcpd.conf's `[ipv6]` queue keys (accepted, unused by
 * onlinkd: keys.ts NFDHCPD_UNUSED_KEYS) therefore pick the mode:
 *  - a DHCPv6 queue (`dhcp_queue` or `dhcpv6_queue`): `slaac+dhcpv6` (RAs
 *    with O=1, Information-Requests answered);
 *  - only `rs_queue`/`ns_queue`: `slaac` (RAs, no DHCPv6: nfdhcpd answered
 *    none without its queue);
 *  - no queue key (a file written for onlinkd): `slaac+dhcpv6`, the mode
 *    that works for every guest.
 */
import type { Ipv6Mode } from './values.js';
import type { UnusedKey } from './settings.js';

const DHCPV6_QUEUES = ['dhcp_queue', 'dhcpv6_queue'];
const QUEUES = ['rs_queue', 'ns_queue', ...DHCPV6_QUEUES];

/** The mode `auto` stands for, given the file's unused nfdhcpd keys; undefined when `modeText` is not `auto`. */
export function autoIpv6Mode(modeText: string | undefined, unused: readonly UnusedKey[]): Ipv6Mode | undefined {
  if (modeText?.trim().toLowerCase() !== 'auto') return undefined;
  const queues = unused.filter((u) => u.section === 'ipv6' && QUEUES.includes(u.key)).map((u) => u.key);
  if (queues.length === 0 || queues.some((q) => DHCPV6_QUEUES.includes(q))) return 'slaac+dhcpv6';
  return 'slaac';
}
