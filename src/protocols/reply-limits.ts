/**
 * How long the lists that end up in replies may be: DNS servers (DHCPv4
 * option 6, DHCPv6 option 23, RA RDNSS), search lists (DHCPv4 option 119,
 * DHCPv6 option 24, RA DNSSL) and classless static routes (options 121 and
 * 249). The binding-file parser and the configuration parser both enforce
 * them, since a binding and the configuration feed the same replies: a list
 * past its limit is refused with a message naming it, rather than accepted
 * and then making every reply fail to encode (RFC 8106 §5.1 caps an RDNSS
 * option at 127 addresses; a 128th made every RA unsendable) or lose options.
 *
 * Each limit is derived below from the wire formats, for the smallest reply
 * every client must accept, with every other list at its own limit:
 *
 *  - IPv6: the RA and the DHCPv6 Reply fit the IPv6 minimum link MTU, 1280
 *    octets (RFC 8200 §5), so no link can be too small for them. The Reply is
 *    the tighter: it echoes the Client Identifier (a DUID of up to 130
 *    octets, RFC 8415 §11.1) besides our Server Identifier.
 *  - DHCPv4: the reply fits a 576-octet datagram (RFC 2131 §2: every client
 *    accepts it; onlinkd sends no more unless the client asks, option 57).
 *    The routes go in the options field with the fixed options; option 6, the
 *    broadcast address and the MTU fit the file field (option overload, RFC
 *    2132 §9.3); each of those options fits whole, unsplit (RFC 3396 splits
 *    are not read by every client). Free-text options (host name, domain)
 *    and the search list use what is left; the encoder drops them, last
 *    first, when a long one does not fit (protocols/dhcp4-frame.ts).
 */
import { DHCP4_DEFAULT_MAX_LENGTH, DHCP4_FILE_LENGTH, DHCP4_OPTIONS_OFFSET, IPV4_UDP_HEADERS_LENGTH } from '../wire/dhcp4.js';
import { DHCP6_HEADER_LENGTH } from '../wire/dhcp6.js';
import { DNS_MAX_NAME_LENGTH, dnsNamesLength } from '../wire/dns-name.js';
import { DUID_MAX_LENGTH } from '../wire/duid.js';
import { IPV6_HEADER_LENGTH } from '../wire/ipv6.js';
import { captivePortalOptionLength, routeOptionLength } from '../wire/ndp.js';
import { UDP_HEADER_LENGTH } from '../wire/udp.js';

/** IPv6 minimum link MTU (RFC 8200 §5). */
const IPV6_MIN_MTU = 1280;
const IPV6_ADDRESS = 16;
const IPV4_ADDRESS = 4;

// ---- search lists -------------------------------------------------------------

/**
 * Encoded octets (RFC 1035 §3.1, uncompressed) of a configured search list:
 * `[dhcp] domain_search`, `[ipv6] domains`. 256, the classic resolv.conf
 * limit on `search`; the binding's DOMAIN (one name, at most 255 octets) is
 * put in front of `[ipv6] domains`, so a sent list is at most 511 octets.
 */
export const MAX_SEARCH_LIST_OCTETS = 256;
const SENT_SEARCH_LIST_OCTETS = MAX_SEARCH_LIST_OCTETS + DNS_MAX_NAME_LENGTH;

/** Encoded length of a search list (names must be valid: the callers validate them first). */
export const searchListOctets: (names: readonly string[]) => number = dnsNamesLength;

// ---- IPv6 DNS servers -----------------------------------------------------------

const padTo8 = (n: number): number => Math.ceil(n / 8) * 8;

/** DHCPv6 Reply: header, Client and Server Identifier (4 + DUID each), Information Refresh Time (4 + 4). */
const DHCP6_REPLY_FIXED = IPV6_HEADER_LENGTH + UDP_HEADER_LENGTH + DHCP6_HEADER_LENGTH + 2 * (4 + DUID_MAX_LENGTH) + 8;
/** Room for option 23 (4 + 16 per server) once option 24 (4 + names) is in. */
const DHCP6_DNS_ROOM = IPV6_MIN_MTU - DHCP6_REPLY_FIXED - (4 + SENT_SEARCH_LIST_OCTETS);

/** RA: header (16), source link-layer (8), MTU (8), prefix information (32) options. */
const RA_FIXED = IPV6_HEADER_LENGTH + 16 + 8 + 8 + 32;
/** Room for RDNSS (8 + 16 per server) once DNSSL (8 + names, padded to 8) is in. */
const RA_DNS_ROOM = IPV6_MIN_MTU - RA_FIXED - 8 - padTo8(8 + SENT_SEARCH_LIST_OCTETS);
/** An NDP option's length is in units of 8 octets in one octet (RFC 4861 §4.6): RDNSS holds at most 127. */
const RDNSS_MAX = Math.floor((255 * 8 - 8) / IPV6_ADDRESS);

/** `DNS6`, `[ipv6] nameservers`: 27, what fits the DHCPv6 Reply (the RA would take 40, RDNSS 127). */
export const MAX_DNS6_SERVERS = Math.min(
  Math.floor((DHCP6_DNS_ROOM - 4) / IPV6_ADDRESS),
  Math.floor(RA_DNS_ROOM / IPV6_ADDRESS),
  RDNSS_MAX,
);

// ---- DHCPv4 ------------------------------------------------------------------------

/** Options field of a 576-octet reply, less End and the overload option (52). */
const DHCP4_MAIN_AREA = DHCP4_DEFAULT_MAX_LENGTH - IPV4_UDP_HEADERS_LENGTH - DHCP4_OPTIONS_OFFSET - 1 - 3;
/** Options 53, 54, 51/58/59, 61 (type + MAC, as clients send it), 1 and 3. */
const DHCP4_FIXED = 3 + 6 + 3 * 6 + (2 + 7) + 6 + 6;
/** A classless route is at most 9 octets (width, 4 of destination, router; RFC 3442). */
const ROUTE_OCTETS = 9;
/** Routes options 121 and 249 (Windows asks for both) each carry: both in the options field. */
const DHCP4_ROUTES = Math.floor(((DHCP4_MAIN_AREA - DHCP4_FIXED) / 2 - 2) / ROUTE_OCTETS);
/** onlinkd adds up to two: the default route and, for Windows, 169.254.0.0/16. */
const ADDED_ROUTES = 2;

/** `ROUTES`, `[dhcp] routes` (each; both go in the same options): 6. */
export const MAX_ROUTES = Math.floor((DHCP4_ROUTES - ADDED_ROUTES) / 2);

/** `DNS`, `[dhcp] nameservers`: 28, option 6 with the broadcast address (6) and MTU (4) in the file field. */
export const MAX_DNS4_SERVERS = Math.floor((DHCP4_FILE_LENGTH - 1 - 6 - 4 - 2) / IPV4_ADDRESS);

// ---- RA extras: routes, PREF64, captive portal, a withdrawn prefix ------------------

/**
 * What an RA may carry besides the options above (issue 14): one
 * deprecated prefix (a PIO, 32 octets: the SUBNET6 a binding just left,
 * protocols/router-advert.ts) and a PREF64 option (16 octets, RFC 8781 §4)
 * are always reserved; ROUTES6's Route Information options (8, 16 or 24
 * octets each, RFC 4191 §2.3) and the Captive-Portal option (2 + URI,
 * padded to 8, RFC 8910 §2.3) share what is left of 1280 octets with the
 * RDNSS and DNSSL options at their limits: 168 octets. The RA is built for
 * 1280 whatever the binding's MTU: below 1280 no MTU is advertised (it is
 * not an IPv6 link MTU), above it 1280 still fits.
 */
const RA_RESERVED = 32 + 16;
export const RA_ROUTES_PORTAL_ROOM =
  IPV6_MIN_MTU - RA_FIXED - (8 + IPV6_ADDRESS * MAX_DNS6_SERVERS) - padTo8(8 + SENT_SEARCH_LIST_OCTETS) - RA_RESERVED;

/** `ROUTES6`: 7, the longest routes (/65../128, 24 octets) that fit the room. */
export const MAX_ROUTES6 = Math.floor(RA_ROUTES_PORTAL_ROOM / 24);

/** Octets ROUTES6 and CAPTIVE_PORTAL take in an RA (compared with RA_ROUTES_PORTAL_ROOM). */
export function raRoutesPortalOctets(routes: ReadonlyArray<{ prefixLength: number }>, captivePortal: string | undefined): number {
  let n = captivePortal === undefined ? 0 : captivePortalOptionLength(captivePortal);
  for (const r of routes) n += routeOptionLength(r.prefixLength);
  return n;
}
