/**
 * Value parsers of the network boot keys (BOOTFILE, BOOTFILE_EFI,
 * IPXE_BOOTFILE, BOOTFILE6; NEXT_SERVER is an IPv4 address, parseIpv4).
 * The limits are what the replies can carry to the clients that boot from
 * them, so a value that parses is one the responders can always send.
 */
import { DHCP4_FILE_LENGTH } from '../wire/dhcp4-layout.js';
import { Invalid, type Parser } from './binding-values.js';

/**
 * A DHCPv4 boot file is sent in the BOOTP `file` field when it fits (128
 * octets, NUL-terminated: 127 characters, RFC 2131 §2) and as option 67
 * (RFC 2132 §9.5) when the client asks for it or it is longer. One option
 * carries 255 octets: longer would need RFC 3396 splitting, which PXE ROMs
 * do not reassemble, so it is refused here.
 */
export const MAX_BOOTFILE_LENGTH = 255;
/** The longest boot file name the `file` field holds with its terminating NUL. */
export const MAX_BOOTFILE_FIELD_LENGTH = DHCP4_FILE_LENGTH - 1;
/**
 * A DHCPv6 boot file URL (RFC 5970 §3.1) may be longer; 1024 octets keep
 * an Information-Request reply well inside the IPv6 minimum MTU with the
 * other options.
 */
export const MAX_BOOTFILE6_LENGTH = 1024;

/** Printable ASCII without spaces: file names and URLs (NVT ASCII, RFC 2132 §9.5; URIs, RFC 3986 §2). */
const PRINTABLE = /^[\x21-\x7e]+$/;

export const parseBootfile: Parser<string> = (v) =>
  v.length <= MAX_BOOTFILE_LENGTH && PRINTABLE.test(v)
    ? v
    : new Invalid(`must be 1..${MAX_BOOTFILE_LENGTH} printable ASCII characters without spaces (a file name or URL)`);

/** An absolute URL (scheme and the rest, RFC 3986 §4.3), e.g. `http://[2001:db8::1]/boot.ipxe` or `tftp://...`. */
export const parseBootfileUrl: Parser<string> = (v) => {
  if (v.length > MAX_BOOTFILE6_LENGTH || !PRINTABLE.test(v) || !/^[A-Za-z][A-Za-z0-9+.-]*:./.test(v)) {
    return new Invalid(`"${v.slice(0, 64)}" is not an absolute URL (scheme:..., printable ASCII, at most ${MAX_BOOTFILE6_LENGTH} characters)`);
  }
  try {
    new URL(v);
  } catch {
    return new Invalid(`"${v.slice(0, 64)}" is not a valid URL`);
  }
  return v;
};
