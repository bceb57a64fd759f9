/**
 * The typed DHCPv4 message shared by the codec (src/wire/dhcp4.ts) and the
 * responder (src/protocols/dhcp4.ts). Decoded addresses are uint32 and
 * chaddr its octets, the forms the responder compares and the encoder
 * writes: nothing is formatted or parsed per request (addr.ts formats them
 * for logs). The encoder also takes text (`Dhcp4MessageSpec`), for tests.
 */
import type { Ipv4Input } from './addr.js';

export const enum Dhcp4MessageType {
  Discover = 1,
  Offer = 2,
  Request = 3,
  Decline = 4,
  Ack = 5,
  Nak = 6,
  Release = 7,
  Inform = 8,
}

/** DHCP option codes used by onlinkd (RFC 2132 unless noted). */
export const enum Dhcp4Option {
  Pad = 0,
  SubnetMask = 1,
  Router = 3,
  DomainNameServer = 6,
  HostName = 12,
  DomainName = 15,
  InterfaceMtu = 26,
  BroadcastAddress = 28,
  RequestedIpAddress = 50,
  LeaseTime = 51,
  OptionOverload = 52,
  MessageType = 53,
  ServerIdentifier = 54,
  ParameterRequestList = 55,
  Message = 56,
  MaxMessageSize = 57,
  RenewalTime = 58,
  RebindingTime = 59,
  VendorClassIdentifier = 60,
  ClientIdentifier = 61,
  TftpServerName = 66,
  BootfileName = 67,
  UserClass = 77, // RFC 3004
  ClientSystemArchitecture = 93, // RFC 4578
  Ipv6OnlyPreferred = 108, // RFC 8925
  CaptivePortal = 114, // RFC 8910
  DomainSearch = 119, // RFC 3397
  ClasslessStaticRoute = 121, // RFC 3442
  Etherboot = 175, // iPXE's encapsulated options
  MsClasslessStaticRoute = 249, // MS-DHCPE 2.2.8
  End = 255,
}

/** One classless static route (RFC 3442): destination/prefix via router ('0.0.0.0' = on-link). */
export interface ClasslessRoute {
  destination: string;
  prefixLength: number;
  router: string;
}

/**
 * A BOOTP/DHCP message. `options` holds every option's value, already
 * concatenated per RFC 3396 (and gathered from `file`/`sname` when option 52
 * says so), in the order first seen. On encode, options are written in
 * the order of the array and long ones are split per RFC 3396.
 */
export interface Dhcp4Message {
  op: 1 | 2; // BOOTREQUEST / BOOTREPLY
  htype: number;
  hlen: number;
  hops: number;
  xid: number; // uint32
  secs: number;
  flags: number; // 0x8000 = BROADCAST
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /**
   * Client hardware address, its `hlen` octets (only when htype=1,hlen=6 is
   * it a MAC). Decoded, a view into the request: copy it to keep it.
   */
  chaddr: Uint8Array;
  sname: string; // empty when the field carried options (overload)
  file: string; // empty when the field carried options (overload)
  options: Array<[code: number, value: Uint8Array]>;
}

/** A message to encode: addresses as uint32 or dotted text, chaddr as octets or colon text (a decoded message is one). */
export interface Dhcp4MessageSpec extends Omit<Dhcp4Message, 'ciaddr' | 'yiaddr' | 'siaddr' | 'giaddr' | 'chaddr'> {
  ciaddr: Ipv4Input;
  yiaddr: Ipv4Input;
  siaddr: Ipv4Input;
  giaddr: Ipv4Input;
  chaddr: Uint8Array | string;
}

export const DHCP4_BROADCAST_FLAG = 0x8000;
