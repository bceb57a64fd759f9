/**
 * The value type of DHCPv6 option 56, NTP Server (RFC 5908): a list of
 * sub-options, one per time source, in the order written:
 *   - an IPv6 unicast address → NTP_SUBOPTION_SRV_ADDR (1, 16 octets, §4.1);
 *   - an IPv6 multicast address (ff00::/8) → NTP_SUBOPTION_MC_ADDR (2, §4.2);
 *   - a domain name → NTP_SUBOPTION_SRV_FQDN (3, §4.3), RFC 1035 §3.1 wire
 *     form, never compressed (§4.3: "MUST NOT" use compression).
 * `OPTION6_56=2001:db8::123,ntp.example.com` is two sub-options. Each
 * sub-option is code (16 bits), length (16 bits), value (§4): DHCPv6's
 * option layout, so dhcp6.ts and dhcp6-ia.ts pack and unpack them. Pure, never
 * throwing; `format` gives back the same text for every value `parse` makes,
 * and undefined for octets that are not such a list (the catalogue then
 * shows `hex:`).
 */
import { dnsNameError, decodeUncompressedDnsNames, encodeDnsNames } from './dns-name.js';
import { formatIpv6Address, isIpv6Multicast, parseIpv6Address } from './ipv6-address.js';
import { items, type ParsedValue, type ValueType } from './option-value-types.js';
import { dhcp6OptionsLength, putDhcp6Options } from './dhcp6.js';
import { decodeOptionList } from './dhcp6-ia.js';

export const NTP_SUBOPTION_SRV_ADDR = 1;
export const NTP_SUBOPTION_MC_ADDR = 2;
export const NTP_SUBOPTION_SRV_FQDN = 3;

const bad = (error: string): ParsedValue => ({ ok: false, error });

/** One written source → its sub-option (code and value), or why not. */
function suboption(item: string): { code: number; value: Uint8Array } | string {
  if (item.includes(':')) {
    const a = item.includes('%') ? undefined : parseIpv6Address(item);
    if (!a) return `"${item}" is not an IPv6 address`;
    return { code: isIpv6Multicast(a) ? NTP_SUBOPTION_MC_ADDR : NTP_SUBOPTION_SRV_ADDR, value: a };
  }
  const e = dnsNameError(item);
  if (e !== undefined) return `"${item}" is neither an IPv6 address nor a domain name: ${e}`;
  return { code: NTP_SUBOPTION_SRV_FQDN, value: encodeDnsNames([item]) };
}

export const NTP_SERVER_LIST: ValueType = {
  name: 'ntp-servers (RFC 5908)',
  example: 'NTP servers as IPv6 addresses or names, 2001:db8::123,ntp.example.com',
  parse(text) {
    const list = items(text);
    if (list.length === 0) return bad(`expected ${NTP_SERVER_LIST.example}`);
    const subs: Array<[number, Uint8Array]> = [];
    for (const item of list) {
      const s = suboption(item);
      if (typeof s === 'string') return bad(s);
      subs.push([s.code, s.value]);
    }
    const out = new Uint8Array(dhcp6OptionsLength(subs));
    putDhcp6Options(out, 0, subs);
    return { ok: true, bytes: out };
  },
  format(b) {
    const subs = decodeOptionList(b, 0, 'NTP server');
    if (!subs.ok) return undefined;
    const sources: string[] = [];
    for (const [code, value] of subs.value) {
      if (code === NTP_SUBOPTION_SRV_ADDR || code === NTP_SUBOPTION_MC_ADDR) {
        // The address must read back as the same sub-option: multicast only under code 2.
        if (value.length !== 16 || isIpv6Multicast(value) !== (code === NTP_SUBOPTION_MC_ADDR)) return undefined;
        sources.push(formatIpv6Address(value));
      } else if (code === NTP_SUBOPTION_SRV_FQDN) {
        const r = decodeUncompressedDnsNames(value);
        if (!r.ok || r.value.length !== 1) return undefined;
        const name = r.value[0]!;
        // A name that would read back as something else (empty root, or text the parser refuses) stays hex.
        if (dnsNameError(name) !== undefined || name.includes(':')) return undefined;
        sources.push(name);
      } else {
        return undefined;
      }
    }
    return sources.length > 0 ? sources.join(',') : undefined;
  },
};
