/**
 * Value parsers of the IPv6-only and captive portal keys (binding keys
 * IPV6_ONLY and CAPTIVE_PORTAL, config key `[dhcp] ipv6_only_preferred`).
 * The limits are the RFCs', so a value that parses is one the responders
 * may send as it is.
 */
import { Invalid, type Parser } from './binding-values.js';

/**
 * RFC 8925 §3.4: MIN_V6ONLY_WAIT, the lower bound of V6ONLY_WAIT. A client
 * raises a smaller value to it (§3.2), so a configured value below would
 * say something the guest does not do: refused, not silently raised.
 */
export const MIN_V6ONLY_WAIT = 300;
/** Option 108 carries a 32-bit count of seconds (RFC 8925 §3.1). */
export const MAX_V6ONLY_WAIT = 0xffffffff;

/** V6ONLY_WAIT in seconds, or why not (one sentence; config and binding files say it alike). */
export function v6OnlyWait(text: string): number | string {
  if (!/^\d+$/.test(text)) return `"${text}" is not a number of seconds (${MIN_V6ONLY_WAIT}..${MAX_V6ONLY_WAIT})`;
  const n = Number(text);
  if (n < MIN_V6ONLY_WAIT) return `${n} is below RFC 8925's MIN_V6ONLY_WAIT of ${MIN_V6ONLY_WAIT} seconds (clients would wait ${MIN_V6ONLY_WAIT} anyway)`;
  if (n > MAX_V6ONLY_WAIT) return `${n} does not fit option 108's 32 bits (at most ${MAX_V6ONLY_WAIT})`;
  return n;
}

export const parseIpv6Only: Parser<number> = (v) => {
  const r = v6OnlyWait(v);
  return typeof r === 'number' ? r : new Invalid(r);
};

/** RFC 8910 §2: a network without a captive portal may say so with this URN. */
export const CAPPORT_UNRESTRICTED = 'urn:ietf:params:capport:unrestricted';
/**
 * One DHCPv4 option carries 255 octets (RFC 2132 §2); a captive portal
 * client is not known to reassemble RFC 3396 splits, so longer is refused
 * (DHCPv6 option 103 would carry more, but one URI serves both).
 */
export const MAX_CAPTIVE_PORTAL_LENGTH = 255;

/**
 * The captive portal API URI (RFC 8910 §2, RFC 8908 §2): an `https:` URI
 * (the API is only reached over TLS), or the URN that says there is no
 * portal. Printable ASCII (RFC 3986 §2), at most 255 characters.
 */
export const parseCaptivePortal: Parser<string> = (v) => {
  if (v === CAPPORT_UNRESTRICTED) return v;
  if (v.length > MAX_CAPTIVE_PORTAL_LENGTH || !/^[\x21-\x7e]+$/.test(v)) {
    return new Invalid(`must be at most ${MAX_CAPTIVE_PORTAL_LENGTH} printable ASCII characters without spaces (a URI)`);
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return new Invalid(`"${v.slice(0, 64)}" is not a URI`);
  }
  if (url.protocol !== 'https:' || url.hostname === '') {
    return new Invalid(`"${v.slice(0, 64)}" must be an https:// URI (RFC 8908 §2), or ${CAPPORT_UNRESTRICTED} for no portal (RFC 8910 §2)`);
  }
  return v;
};
