/**
 * IPv6 address text rules shared by config, bindings and (later) the
 * control API. Link-local addresses only mean something with their
 * interface (RFC 4007 §11): a zone id is accepted on link-local addresses
 * and refused on any other address.
 */
import { Address6 } from 'ip-address';
import { normalizeIpv6Address } from '../wire/ipv6-address.js';

export interface ParsedIpv6 {
  /** Canonical (RFC 5952) text without zone. */
  address: string;
  /** Zone id (interface name) without '%', when given. */
  zone: string | undefined;
  linkLocal: boolean;
}

export function parseIpv6(text: string): ParsedIpv6 | { error: string } {
  const t = text.trim();
  let a: Address6;
  try {
    a = new Address6(t);
  } catch {
    return { error: `"${t}" is not an IPv6 address` };
  }
  if (a.subnetMask !== 128) return { error: `"${t}" is a prefix, not an address` };
  const zone = a.zone ? a.zone.replace(/^%/, '') : undefined;
  const linkLocal = a.isLinkLocal();
  if (zone !== undefined && !linkLocal) {
    return { error: `"${t}": a zone id is only meaningful on a link-local address (RFC 4007)` };
  }
  if (zone !== undefined && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(zone)) return { error: `"${t}": bad zone id` };
  return { address: a.correctForm(), zone, linkLocal };
}

/** Parses a global (non-link-local, zone-less) address; returns canonical text or an error. */
export function parseIpv6Unzoned(text: string): string | { error: string } {
  // Plain text with no zone (most of it): canonical form without ip-address (binding files load by the thousand).
  const plain = normalizeIpv6Address(text);
  if (plain !== undefined) return plain;
  const p = parseIpv6(text);
  if ('error' in p) return p;
  if (p.zone !== undefined) return { error: `"${text}": zone id not allowed here` };
  return p.address;
}

