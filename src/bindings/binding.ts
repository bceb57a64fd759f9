/**
 * A binding: what onlinkd knows about one VM interface (one tap). It is the
 * parsed form of an nfdhcpd binding file (see binding-file.ts) and, later,
 * of a control-socket `binding-add`.
 */
import type { ClasslessRoute } from '../wire/dhcp4-types.js';

export interface Ipv4Subnet {
  network: string;
  prefixLength: number;
}

export interface Ipv6Subnet {
  /** Canonical prefix text, e.g. "2001:db8:10::". */
  network: string;
  prefixLength: number;
}

export interface Binding {
  /** Tap interface name; also the binding file's name. */
  tap: string;
  /** Interface whose MAC answers (bridge in bridged mode); defaults to the tap. */
  indev: string;
  /** The VM's MAC, lower-case colon form. */
  mac: string;
  ip: string | undefined;
  hostname: string | undefined;
  tags: string | undefined;
  subnet: Ipv4Subnet | undefined;
  gateway: string | undefined;
  subnet6: Ipv6Subnet | undefined;
  gateway6: string | undefined;
  eui64: string | undefined;
  /** Isolated network: no router option, no default route. */
  private: boolean;
  mtu: number | undefined;
  /** Answer any source MAC on this tap. */
  macspoof: boolean;
  /** Treat the guest as Windows (169.254.0.0/16 route) even without vendor class "MSFT". */
  windows: boolean;
  uplink: string | undefined;
  uplink6: string | undefined;
  /** Extra classless static routes for this tap, in addition to [dhcp] routes. */
  routes: ClasslessRoute[];
  /** Per-tap overrides of the configured name servers / domain. */
  dns: string[] | undefined;
  dns6: string[] | undefined;
  domain: string | undefined;
  /** Keys onlinkd does not know, kept so a rewrite does not lose them. */
  extra: Record<string, string>;
}

/** IFNAMSIZ is 16 with the NUL: names are at most 15 bytes, no '/', no whitespace, not '.' or '..'. */
export function isValidInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.:@-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}
