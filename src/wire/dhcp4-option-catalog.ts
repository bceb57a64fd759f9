/**
 * The DHCPv4 option catalogue: code → name and value type (IANA "BOOTP
 * Vendor Extensions and DHCP Options"; RFC 2132 unless noted), and the
 * codes onlinkd computes itself, refused in `OPTION_<n>` and
 * `[dhcp4-options]` with what sets them instead. Pure.
 *
 * Refused: what the protocol itself carries (Pad, End, 50, 52, 53, 55, 57,
 * 61, 82: the client's, the relay's or the encoder's), the lease and
 * server identity (51, 54, 58, 59: `[dhcp]` keys), and what a binding key
 * already says (1, 28 from SUBNET; 3 from GATEWAY; 6 DNS; 12 HOSTNAME;
 * 15 DOMAIN; 26 MTU; 66 NEXT_SERVER; 67 BOOTFILE and its variants;
 * 108 IPV6_ONLY; 114 CAPTIVE_PORTAL; 121/249 ROUTES) — two ways to say one thing would let them disagree.
 * One override is deliberate: 119 (domain search) replaces
 * `[dhcp] domain_search`, since no binding key gives a per-VM search list.
 */
import { bindingKey as key, makeCatalog, option as o, type OptionInfo, type ValueType } from './option-catalog.js';
import {
  BOOL, DOMAIN_LIST_COMPRESSED, IPV4, IPV4_LIST, IPV4_PAIRS, OPAQUE, S32, TEXT, U16, U16_LIST, U32, U8,
} from './option-value-types.js';

const set = (code: number, name: string, type: ValueType, refused: string): OptionInfo => o(code, name, type, { refused });

const ENTRIES: OptionInfo[] = [
  set(1, 'subnet-mask', IPV4, `the netmask comes from ${key('SUBNET')}`),
  o(2, 'time-offset', S32),
  set(3, 'routers', IPV4_LIST, `the router comes from ${key('GATEWAY')} (and ${key('PRIVATE')})`),
  o(4, 'time-servers', IPV4_LIST),
  o(5, 'name-servers', IPV4_LIST),
  set(6, 'domain-name-servers', IPV4_LIST, `name servers come from ${key('DNS')} or [dhcp] nameservers`),
  o(7, 'log-servers', IPV4_LIST),
  o(8, 'cookie-servers', IPV4_LIST),
  o(9, 'lpr-servers', IPV4_LIST),
  o(10, 'impress-servers', IPV4_LIST),
  o(11, 'resource-location-servers', IPV4_LIST),
  set(12, 'host-name', TEXT, `the host name comes from ${key('HOSTNAME')}`),
  o(13, 'boot-size', U16),
  o(14, 'merit-dump', TEXT),
  set(15, 'domain-name', TEXT, `the domain name comes from ${key('DOMAIN')} or [dhcp] domain`),
  o(16, 'swap-server', IPV4),
  o(17, 'root-path', TEXT),
  o(18, 'extensions-path', TEXT),
  o(19, 'ip-forwarding', BOOL),
  o(20, 'non-local-source-routing', BOOL),
  o(21, 'policy-filter', IPV4_PAIRS),
  o(22, 'max-dgram-reassembly', U16),
  o(23, 'default-ip-ttl', U8),
  o(24, 'path-mtu-aging-timeout', U32),
  o(25, 'path-mtu-plateau-table', U16_LIST),
  set(26, 'interface-mtu', U16, `the MTU comes from ${key('MTU')}`),
  o(27, 'all-subnets-local', BOOL),
  set(28, 'broadcast-address', IPV4, `the broadcast address comes from ${key('SUBNET')}`),
  o(29, 'perform-mask-discovery', BOOL),
  o(30, 'mask-supplier', BOOL),
  o(31, 'router-discovery', BOOL),
  o(32, 'router-solicitation-address', IPV4),
  o(33, 'static-routes', IPV4_PAIRS),
  o(34, 'trailer-encapsulation', BOOL),
  o(35, 'arp-cache-timeout', U32),
  o(36, 'ieee802-3-encapsulation', BOOL),
  o(37, 'default-tcp-ttl', U8),
  o(38, 'tcp-keepalive-interval', U32),
  o(39, 'tcp-keepalive-garbage', BOOL),
  o(40, 'nis-domain', TEXT),
  o(41, 'nis-servers', IPV4_LIST),
  o(42, 'ntp-servers', IPV4_LIST),
  o(43, 'vendor-encapsulated-options', OPAQUE),
  o(44, 'netbios-name-servers', IPV4_LIST),
  o(45, 'netbios-dd-server', IPV4_LIST),
  o(46, 'netbios-node-type', U8),
  o(47, 'netbios-scope', TEXT),
  o(48, 'font-servers', IPV4_LIST),
  o(49, 'x-display-manager', IPV4_LIST),
  set(50, 'requested-address', IPV4, "the client's (it asks for an address)"),
  set(51, 'lease-time', U32, 'the lease comes from [dhcp] lease_lifetime'),
  set(52, 'option-overload', U8, "the encoder's (RFC 2131 §4.1)"),
  set(53, 'message-type', U8, "the protocol's"),
  set(54, 'server-identifier', IPV4, `the server identifier comes from [dhcp] server_ip or ${key('GATEWAY')}`),
  set(55, 'parameter-request-list', U16_LIST, "the client's"),
  o(56, 'message', TEXT),
  set(57, 'max-message-size', U16, "the client's"),
  set(58, 'renewal-time', U32, 'T1 comes from [dhcp] lease_renewal'),
  set(59, 'rebinding-time', U32, 'T2 comes from [dhcp] lease_rebinding'),
  o(60, 'vendor-class-identifier', TEXT),
  set(61, 'client-identifier', OPAQUE, "the client's, echoed back (RFC 6842)"),
  o(62, 'netware-ip-domain', TEXT),
  o(63, 'netware-ip-option', OPAQUE),
  o(64, 'nisplus-domain', TEXT),
  o(65, 'nisplus-servers', IPV4_LIST),
  set(66, 'tftp-server-name', TEXT, `the TFTP server comes from ${key('NEXT_SERVER')}`),
  set(67, 'bootfile-name', TEXT, `the boot file comes from ${key('BOOTFILE')}, ${key('BOOTFILE_EFI')} or ${key('IPXE_BOOTFILE')} (README "Network boot")`),
  o(68, 'mobile-ip-home-agent', IPV4_LIST),
  o(69, 'smtp-server', IPV4_LIST),
  o(70, 'pop-server', IPV4_LIST),
  o(71, 'nntp-server', IPV4_LIST),
  o(72, 'www-server', IPV4_LIST),
  o(73, 'finger-server', IPV4_LIST),
  o(74, 'irc-server', IPV4_LIST),
  o(75, 'streettalk-server', IPV4_LIST),
  o(76, 'streettalk-directory-assistance-server', IPV4_LIST),
  o(77, 'user-class', OPAQUE), // RFC 3004
  o(78, 'slp-directory-agent', OPAQUE), // RFC 2610
  o(79, 'slp-service-scope', OPAQUE),
  o(81, 'client-fqdn', OPAQUE), // RFC 4702
  set(82, 'relay-agent-information', OPAQUE, "the relay agent's (RFC 3046)"),
  o(85, 'nds-servers', IPV4_LIST), // RFC 2241
  o(86, 'nds-tree-name', TEXT),
  o(87, 'nds-context', TEXT),
  o(88, 'bcmcs-controller-domain-names', DOMAIN_LIST_COMPRESSED), // RFC 4280
  o(89, 'bcmcs-controller-addresses', IPV4_LIST),
  o(93, 'client-system-architecture', U16_LIST), // RFC 4578
  o(94, 'client-network-interface', OPAQUE),
  o(97, 'client-machine-identifier', OPAQUE),
  o(100, 'pcode', TEXT), // RFC 4833
  o(101, 'tcode', TEXT),
  set(108, 'ipv6-only-preferred', U32, `it comes from ${key('IPV6_ONLY')} or [dhcp] ipv6_only_preferred (RFC 8925: only when asked, yiaddr 0.0.0.0 in the OFFER)`),
  set(114, 'captive-portal', TEXT, `the captive portal URI comes from ${key('CAPTIVE_PORTAL')} (RFC 8910)`),
  o(116, 'auto-configure', U8), // RFC 2563
  o(117, 'name-service-search', U16_LIST), // RFC 2937
  o(118, 'subnet-selection', IPV4), // RFC 3011
  o(119, 'domain-search', DOMAIN_LIST_COMPRESSED, { overrides: '[dhcp] domain_search' }), // RFC 3397
  o(120, 'sip-servers', OPAQUE), // RFC 3361
  set(121, 'classless-static-routes', OPAQUE, `routes come from ${key('ROUTES')}, [dhcp] routes and ${key('GATEWAY')} (RFC 3442)`),
  o(124, 'vendor-identifying-vendor-class', OPAQUE), // RFC 3925
  o(125, 'vendor-identifying-vendor-options', OPAQUE),
  o(141, 'sip-ua-configuration-domains', DOMAIN_LIST_COMPRESSED), // RFC 6011
  o(150, 'tftp-server-addresses', IPV4_LIST), // RFC 5859
  o(175, 'etherboot', OPAQUE), // iPXE
  o(209, 'pxelinux-configfile', TEXT), // RFC 5071
  o(210, 'pxelinux-pathprefix', TEXT),
  o(211, 'pxelinux-reboot-time', U32),
  set(249, 'ms-classless-static-routes', OPAQUE, `routes come from ${key('ROUTES')}, [dhcp] routes and ${key('GATEWAY')} (MS-DHCPE 2.2.8)`),
  o(252, 'wpad', TEXT),
];

/**
 * Pad (0) and End (255) are not options; every other code may carry a
 * value. A reply on Ethernet has at most 1472 - 236 - 4 = 1232 octets of
 * options with `file` and `sname` overloaded (RFC 2131 §4.1, RFC 3396):
 * 1200 for one value leaves room for the options onlinkd always sends.
 */
export const DHCP4_MAX_VALUE_LENGTH = 1200;
export const DHCP4_CATALOG = makeCatalog('DHCPv4', 1, 254, DHCP4_MAX_VALUE_LENGTH, ENTRIES);

export const optionInfo = DHCP4_CATALOG.optionInfo;
export const parseOptionValue = DHCP4_CATALOG.parseOptionValue;
export const formatOptionValue = DHCP4_CATALOG.formatOptionValue;
