/**
 * The DHCPv6 option catalogue: code → name and value type (IANA "DHCPv6
 * Option Codes"; RFC 8415 §21 unless noted), and the codes onlinkd
 * computes itself, refused in `OPTION6_<n>` and `[dhcp6-options]` with
 * what sets them instead. Pure.
 *
 * Refused: the protocol's own options (client and server identifiers,
 * IA_NA/IA_TA/IA_PD and their addresses and prefixes, ORO, elapsed time,
 * relay message, authentication, status code, rapid commit, interface-id,
 * reconfigure, the relay's options), 12 (unicast: onlinkd answers on the
 * multicast address only), 23 (DNS6 / `[ipv6] nameservers`), 32
 * (`[ipv6] information_refresh_time`), 59 (BOOTFILE6) and 103 (CAPTIVE_PORTAL). One override is deliberate: 24
 * (domain search list) replaces `[ipv6] domains` in DHCPv6 replies, since no
 * binding key gives a per-VM search list.
 */
import { bindingKey as key, makeCatalog, option as o, type OptionInfo } from './option-catalog.js';
import { DOMAIN, DOMAIN_LIST, IPV6_LIST, OPAQUE, TEXT, U32, U8 } from './option-value-types.js';
import { NTP_SERVER_LIST } from './ntp-server-option.js';

const set = (code: number, name: string, refused: string): OptionInfo => o(code, name, OPAQUE, { refused });
const PROTOCOL = "the protocol's";

const ENTRIES: OptionInfo[] = [
  set(1, 'client-id', "the client's DUID"),
  set(2, 'server-id', "onlinkd's DUID (.server-duid in the state directory)"),
  set(3, 'ia-na', PROTOCOL),
  set(4, 'ia-ta', PROTOCOL),
  set(5, 'iaaddr', PROTOCOL),
  set(6, 'oro', "the client's"),
  o(7, 'preference', U8),
  set(8, 'elapsed-time', "the client's"),
  set(9, 'relay-msg', "the relay's"),
  set(11, 'auth', PROTOCOL),
  set(12, 'unicast', 'onlinkd answers on ff02::1:2 only'),
  set(13, 'status-code', PROTOCOL),
  set(14, 'rapid-commit', PROTOCOL),
  set(15, 'user-class', "the client's"),
  set(16, 'vendor-class', "the client's"),
  o(17, 'vendor-opts', OPAQUE),
  set(18, 'interface-id', "the relay's"),
  set(19, 'reconf-msg', PROTOCOL),
  set(20, 'reconf-accept', PROTOCOL),
  o(21, 'sip-server-d', DOMAIN_LIST), // RFC 3319
  o(22, 'sip-server-a', IPV6_LIST),
  set(23, 'dns-servers', `name servers come from ${key('DNS6')} or [ipv6] nameservers`), // RFC 3646
  o(24, 'domain-list', DOMAIN_LIST, { overrides: '[ipv6] domains' }),
  set(25, 'ia-pd', PROTOCOL), // RFC 8415
  set(26, 'iaprefix', PROTOCOL),
  o(27, 'nis-servers', IPV6_LIST), // RFC 3898
  o(28, 'nisp-servers', IPV6_LIST),
  o(29, 'nis-domain-name', DOMAIN_LIST),
  o(30, 'nisp-domain-name', DOMAIN_LIST),
  o(31, 'sntp-servers', IPV6_LIST), // RFC 4075
  set(32, 'information-refresh-time', 'it comes from [ipv6] information_refresh_time'),
  o(33, 'bcmcs-server-d', DOMAIN_LIST), // RFC 4280
  o(34, 'bcmcs-server-a', IPV6_LIST),
  o(36, 'geoconf-civic', OPAQUE), // RFC 4776
  set(37, 'remote-id', "the relay's"),
  set(38, 'subscriber-id', "the relay's"),
  o(39, 'client-fqdn', OPAQUE), // RFC 4704
  o(40, 'pana-agent', IPV6_LIST), // RFC 5192
  o(41, 'new-posix-timezone', TEXT), // RFC 4833
  o(42, 'new-tzdb-timezone', TEXT),
  set(43, 'ero', "the relay's"),
  o(56, 'ntp-server', NTP_SERVER_LIST), // RFC 5908 (sub-options 1, 2, 3)
  set(59, 'bootfile-url', `the boot file URL comes from ${key('BOOTFILE6')}`), // RFC 5970
  o(60, 'bootfile-param', OPAQUE),
  set(61, 'client-arch-type', "the client's"),
  o(62, 'nii', OPAQUE),
  o(64, 'aftr-name', DOMAIN), // RFC 6334
  o(65, 'erp-local-domain-name', DOMAIN), // RFC 6440
  o(67, 'pd-exclude', OPAQUE), // RFC 6603
  o(82, 'sol-max-rt', U32), // RFC 8415 §21.24
  o(83, 'inf-max-rt', U32), // RFC 8415 §21.25
  set(103, 'captive-portal', `the captive portal URI comes from ${key('CAPTIVE_PORTAL')} (RFC 8910)`),
];

/**
 * Code 0 is reserved; any other 16-bit code may carry a value. A reply
 * travels in one unfragmented frame on the tap (1500 - 40 - 8 - 4 octets of
 * options): 1200 for one value leaves room for the rest.
 */
export const DHCP6_MAX_VALUE_LENGTH = 1200;
export const DHCP6_CATALOG = makeCatalog('DHCPv6', 1, 65535, DHCP6_MAX_VALUE_LENGTH, ENTRIES);

export const option6Info = DHCP6_CATALOG.optionInfo;
export const parseOption6Value = DHCP6_CATALOG.parseOptionValue;
export const formatOption6Value = DHCP6_CATALOG.formatOptionValue;
