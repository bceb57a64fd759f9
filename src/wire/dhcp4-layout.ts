/**
 * The fixed layout of a BOOTP/DHCP message (RFC 2131 §2, RFC 951) and the
 * size rules both the decoder (dhcp4.ts) and the encoder (dhcp4-encode.ts)
 * read.
 */
export const DHCP4_SNAME_OFFSET = 44;
export const DHCP4_SNAME_LENGTH = 64;
export const DHCP4_FILE_OFFSET = 108;
export const DHCP4_FILE_LENGTH = 128;
export const DHCP4_COOKIE_OFFSET = 236;
export const DHCP4_OPTIONS_OFFSET = 240;
/** 99.130.83.99 (RFC 2131 §3). */
export const DHCP4_MAGIC_COOKIE = 0x63825363;
/** BOOTP minimum message length (RFC 1542 §2.1). */
export const DHCP4_MIN_LENGTH = 300;
/** Default and minimum maximum IP datagram size (RFC 2131 §2, RFC 2132 §9.10). */
export const DHCP4_DEFAULT_MAX_LENGTH = 576;
/** IPv4 (no options) + UDP headers, subtracted from `maxLength`. */
export const IPV4_UDP_HEADERS_LENGTH = 28;
export const DHCP4_MAX_HLEN = 16;

/** Error layer of both codecs. */
export const DHCP4_LAYER = 'dhcp4';
/** Option 52 (RFC 2132 §9.3) bits: options continue in `file`, in `sname`. */
export const OVERLOAD_FILE = 1;
export const OVERLOAD_SNAME = 2;
