/**
 * nfdhcpd binding files: one file per tap, named after the tap, with
 * `KEY=VALUE` lines as nfdhcpd and snf-network write them. Parsing is
 * strict about values (a bad address names its line) and lenient about
 * form, as nfdhcpd was: blank lines and `#` comments are skipped, an empty
 * value means "unset", unknown keys are kept.
 *
 * Hooks source these files (`. /var/lib/nfdhcpd/tap10`), so a value means
 * what POSIX sh makes of it (XCU §2.2 Quoting): onlinkd writes every value
 * that is not plainly safe in single quotes, a `'` inside as `'\''`, which
 * sh reads back exactly and never expands; the parser reads quoted values
 * the way sh does and refuses what sh would expand or split instead of
 * guessing (see readValue). A value is one line: line breaks, CR and NUL
 * are refused.
 */
import { ipv4ToNumber, normalizeMac, numberToIpv4, prefixMask } from '../wire/addr.js';
import { isValidDomainName } from '../util/domain.js';
import { parseIpv6Unzoned } from '../util/ipv6.js';
import { ipv6InPrefix, ipv6PrefixOf, parseIpv6Address } from '../wire/ipv6-address.js';
import { Address6 } from 'ip-address';
import { formatRouteList, parseRouteList } from './routes.js';
import { isValidInterfaceName, type Binding, type Ipv4Subnet, type Ipv6Subnet } from './binding.js';
import { MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES } from '../protocols/reply-limits.js';

export class BindingParseError extends Error {
  constructor(
    readonly line: number | undefined,
    readonly key: string | undefined,
    readonly detail: string,
  ) {
    super(`${line !== undefined ? `line ${line}: ` : ''}${key ? `${key}: ` : ''}${detail}`);
  }
}

export type BindingParseResult = { ok: true; binding: Binding } | { ok: false; error: BindingParseError };

/** Largest binding file we read; real ones are a few hundred bytes. */
export const MAX_BINDING_FILE_SIZE = 64 * 1024;

const KNOWN_KEYS = new Set([
  'INDEV', 'IP', 'MAC', 'HOSTNAME', 'TAGS', 'GATEWAY', 'SUBNET', 'GATEWAY6', 'SUBNET6', 'EUI64',
  'PRIVATE', 'MTU', 'MACSPOOF', 'WINDOWS', 'UPLINK', 'UPLINK6', 'ROUTES', 'DNS', 'DNS6', 'DOMAIN',
]);

type ValueResult = { ok: true; value: string } | { ok: false; error: string };

/** Characters that make sh read a word other than as written: with none, a value is plain text. */
const SH_QUOTING = /['"\\$`]/;
const EXPANDS = 'a shell would expand an unquoted or double-quoted $ or ` (put the value in single quotes)';

/**
 * The value of `KEY=<text>` (`text` trimmed of blanks). Plain text (no quote,
 * backslash, `$` or backquote) is taken as it is, to the end of the line, as
 * nfdhcpd took it (`ROUTES=10.0.0.0/8 via 203.0.113.1` unquoted included).
 * Anything else is read as the one shell word sh would read: '...' literal,
 * "..." with \$ \` \" \\ escapes, \x outside quotes; what sh would expand
 * (`$`, backquote, `~`) or split (blanks, operators) outside single
 * quotes is refused with the reason, so onlinkd and a hook sourcing the file
 * never read different values.
 */
export function readValue(text: string): ValueResult {
  if (!SH_QUOTING.test(text)) return { ok: true, value: text };
  const bad = (error: string): ValueResult => ({ ok: false, error });
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return bad("unterminated ' quote (a value is one line)");
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      for (i++; ; ) {
        if (i >= text.length) return bad('unterminated " quote (a value is one line)');
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        // XCU §2.2.3: inside double quotes a backslash escapes only $ ` " \ (and newline).
        if (d === '\\' && i + 1 < text.length && '$`"\\'.includes(text[i + 1]!)) {
          out += text[i + 1];
          i += 2;
        } else if (d === '$' || d === '`') {
          return bad(EXPANDS);
        } else {
          out += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= text.length) return bad('ends with a backslash (a value is one line)');
      out += text[i + 1];
      i += 2;
    } else if (c === '$' || c === '`') {
      return bad(EXPANDS);
    } else if (c === '~') {
      // Tilde expansion: at the start of an assignment's value and after an unquoted ':'.
      return bad('a shell would expand an unquoted ~ (put the value in single quotes)');
    } else if (c === ' ' || c === '\t' || ';&|<>()'.includes(c)) {
      return bad(`unquoted ${JSON.stringify(c)} next to quotes: a shell would split the value there (quote all of it)`);
    } else {
      out += c;
      i++;
    }
  }
  return { ok: true, value: out };
}

/** What sh takes unquoted in an assignment as itself (no expansion, splitting, tilde or globbing). */
const SH_SAFE = /^[A-Za-z0-9_.,:/@%+=-]+$/;

/** The value as a shell word that sh (and readValue) read back exactly. */
function shellWord(v: string): string {
  return SH_SAFE.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`;
}

/**
 * One `KEY=VALUE` line as onlinkd writes it (the value as a shell word).
 * binding-add builds the text it validates with this, so a request's value
 * is read as exactly what was sent, quotes and all.
 */
export function bindingFileLine(key: string, value: string): string {
  return `${key}=${value === '' ? '' : shellWord(value)}`;
}

/** Blanks around `KEY=VALUE` (sh's blanks and a CRLF file's CR), not every Unicode space as trim() does. */
function trimBlanks(s: string): string {
  return s.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
}

/** nfdhcpd treated any non-empty value as set; "0", "no", "false" and "off" are read as unset here. */
function flag(v: string): boolean {
  return v !== '' && !['0', 'no', 'false', 'off'].includes(v.toLowerCase());
}

function parseIpv4Subnet(v: string): Ipv4Subnet | string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(v);
  const addr = m ? ipv4ToNumber(m[1]!) : undefined;
  const len = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(len >= 0 && len <= 32)) return `"${v}" is not an IPv4 prefix (a.b.c.d/len)`;
  return { network: numberToIpv4((addr & prefixMask(len)) >>> 0), prefixLength: len };
}

/*
 * IPv6 text: the plain forms every binding file uses ("2001:db8::1",
 * "2001:db8::/64") go through the hand-written octet parser of
 * wire/ipv6-address.ts, whose canonical text is ip-address's correctForm()
 * (its tests check that); anything else (zone ids, odd prefix notations)
 * falls back to ip-address, so what is accepted and how it is written do not
 * change. Why: ip-address costs ~40 µs per address (BigInt, regexps), which
 * was a fifth of start-up with 4096 binding files and of every binding-add.
 */

function parseIpv6Subnet(v: string): Ipv6Subnet | string {
  const slash = v.indexOf('/');
  if (slash > 0 && /^\d{1,3}$/.test(v.slice(slash + 1))) {
    const len = Number(v.slice(slash + 1));
    const addr = v.slice(0, slash);
    if (len <= 128 && parseIpv6Address(addr)) return { network: ipv6PrefixOf(addr, len), prefixLength: len };
  }
  let a: Address6;
  try {
    a = new Address6(v);
  } catch {
    return `"${v}" is not an IPv6 prefix`;
  }
  if (a.zone || !v.includes('/')) return `"${v}" is not an IPv6 prefix (addr/len)`;
  return { network: a.startAddress().correctForm(), prefixLength: a.subnetMask };
}

function inIpv4Subnet(ip: string, s: Ipv4Subnet): boolean {
  const n = ipv4ToNumber(ip)!;
  return (n & prefixMask(s.prefixLength)) >>> 0 === ipv4ToNumber(s.network);
}

export function inIpv6Subnet(ip: string, s: Ipv6Subnet): boolean {
  if (parseIpv6Address(ip) && parseIpv6Address(s.network)) return ipv6InPrefix(ip, s.network, s.prefixLength);
  try {
    return new Address6(ip).isInSubnet(new Address6(`${s.network}/${s.prefixLength}`));
  } catch {
    return false;
  }
}

/** The address when `v` is one in its usual text, exactly (the stored string is what replies encode). */
function ipv4(v: string): string | undefined {
  const n = ipv4ToNumber(v);
  return n !== undefined && numberToIpv4(n) === v ? v : undefined;
}

/** The addresses of a comma- or space-separated list; undefined when it holds none. */
function addressList(text: string): string[] | undefined {
  const list = text.split(/[,\s]+/).filter((s) => s !== '');
  return list.length > 0 ? list : undefined;
}

/**
 * Parses one binding file. `tap` is the file name; it must be a valid
 * interface name (no path separators, dot files, or names past IFNAMSIZ).
 */
export function parseBindingFile(tap: string, text: string): BindingParseResult {
  const err = (line: number | undefined, key: string | undefined, detail: string): BindingParseResult => ({
    ok: false,
    error: new BindingParseError(line, key, detail),
  });
  if (!isValidInterfaceName(tap)) return err(undefined, undefined, `file name "${tap}" is not a valid interface name`);
  if (text.length > MAX_BINDING_FILE_SIZE) return err(undefined, undefined, `file larger than ${MAX_BINDING_FILE_SIZE} bytes`);
  if (text.includes('\0')) return err(undefined, undefined, 'file contains NUL bytes');

  const values = new Map<string, { value: string; line: number }>();
  const extra: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = trimBlanks(lines[i]!);
    if (raw === '' || raw.charCodeAt(0) === 0x23 /* # */) continue;
    const eq = raw.indexOf('=');
    if (eq <= 0) return err(i + 1, undefined, `expected KEY=VALUE, got ${JSON.stringify(raw.slice(0, 60))}`);
    let key = trimBlanks(raw.slice(0, eq));
    if (key.startsWith('export')) key = key.replace(/^export\s+/, '');
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) return err(i + 1, undefined, `bad key ${JSON.stringify(key.slice(0, 40))}`);
    const read = readValue(trimBlanks(raw.slice(eq + 1)));
    if (!read.ok) return err(i + 1, key, read.error);
    const value = read.value;
    // A line break would end the line (and sh's word with it): a value is one line. Tabs pass (quoted).
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return err(i + 1, key, 'value contains a control character (CR, NUL, ...): a binding file has one KEY=VALUE per line');
    // A lone surrogate (possible in a binding-add request) would be written as U+FFFD and read back different.
    if (/\p{Cs}/u.test(value)) return err(i + 1, key, 'value is not valid Unicode text');
    // Every value is checked in the form it is stored (an address with a quoted space around it
    // would pass a trimming check and then fail every reply). TAGS and unknown keys are free text.
    if (key !== 'TAGS' && KNOWN_KEYS.has(key) && /^\s|\s$/.test(value)) {
      return err(i + 1, key, `${JSON.stringify(value)} has white space around it`);
    }
    // Later lines win, as in a shell sourcing the file.
    if (KNOWN_KEYS.has(key)) values.set(key, { value, line: i + 1 });
    else extra[key] = value;
  }

  const get = (k: string): string => values.get(k)?.value ?? '';
  const lineOf = (k: string): number | undefined => values.get(k)?.line;

  const mac = normalizeMac(get('MAC'));
  if (!get('MAC')) return err(undefined, 'MAC', 'missing (the VM MAC is required)');
  if (!mac) return err(lineOf('MAC'), 'MAC', `"${get('MAC')}" is not a MAC address`);

  const indev = get('INDEV') || tap;
  if (!isValidInterfaceName(indev)) return err(lineOf('INDEV'), 'INDEV', `"${indev}" is not a valid interface name`);

  let ip: string | undefined;
  if (get('IP')) {
    ip = ipv4(get('IP'));
    if (!ip) return err(lineOf('IP'), 'IP', `"${get('IP')}" is not an IPv4 address`);
  }
  let subnet: Ipv4Subnet | undefined;
  if (get('SUBNET')) {
    const s = parseIpv4Subnet(get('SUBNET'));
    if (typeof s === 'string') return err(lineOf('SUBNET'), 'SUBNET', s);
    subnet = s;
  }
  let gateway: string | undefined;
  if (get('GATEWAY')) {
    gateway = ipv4(get('GATEWAY'));
    if (!gateway) return err(lineOf('GATEWAY'), 'GATEWAY', `"${get('GATEWAY')}" is not an IPv4 address`);
  }
  if (ip && !subnet) return err(lineOf('IP'), 'SUBNET', 'missing: an IP needs its SUBNET (for the netmask)');
  if (ip && subnet && !inIpv4Subnet(ip, subnet)) {
    return err(lineOf('IP'), 'IP', `${ip} is outside SUBNET ${subnet.network}/${subnet.prefixLength}`);
  }
  if (gateway && subnet && !inIpv4Subnet(gateway, subnet)) {
    return err(lineOf('GATEWAY'), 'GATEWAY', `${gateway} is outside SUBNET ${subnet.network}/${subnet.prefixLength}`);
  }
  if (gateway && ip && gateway === ip) return err(lineOf('GATEWAY'), 'GATEWAY', 'equals the VM IP');

  let subnet6: Ipv6Subnet | undefined;
  if (get('SUBNET6')) {
    const s = parseIpv6Subnet(get('SUBNET6'));
    if (typeof s === 'string') return err(lineOf('SUBNET6'), 'SUBNET6', s);
    subnet6 = s;
  }
  let gateway6: string | undefined;
  if (get('GATEWAY6')) {
    const g = parseIpv6Unzoned(get('GATEWAY6'));
    if (typeof g !== 'string') return err(lineOf('GATEWAY6'), 'GATEWAY6', g.error);
    gateway6 = g;
  }
  let eui64: string | undefined;
  if (get('EUI64')) {
    const e = parseIpv6Unzoned(get('EUI64'));
    if (typeof e !== 'string') return err(lineOf('EUI64'), 'EUI64', e.error);
    if (subnet6 && !inIpv6Subnet(e, subnet6)) return err(lineOf('EUI64'), 'EUI64', `${e} is outside SUBNET6`);
    eui64 = e;
  }

  let mtu: number | undefined;
  if (get('MTU')) {
    const n = Number(get('MTU'));
    // 68 is IPv4's minimum link MTU (RFC 791); 1280 is IPv6's but the key serves both.
    if (!/^\d+$/.test(get('MTU')) || n < 68 || n > 65535) return err(lineOf('MTU'), 'MTU', `"${get('MTU')}" is not an MTU (68..65535)`);
    mtu = n;
  }

  for (const k of ['UPLINK', 'UPLINK6']) {
    if (get(k) && !isValidInterfaceName(get(k))) return err(lineOf(k), k, `"${get(k)}" is not a valid interface name`);
  }

  const routesText = get('ROUTES');
  const routes = parseRouteList(routesText);
  if (!routes.ok) return err(lineOf('ROUTES'), 'ROUTES', routes.error);
  const tooLong = (what: string, max: number): string => `more than ${max} ${what} (what a reply can carry; see protocols/reply-limits.ts)`;
  if (routes.routes.length > MAX_ROUTES) return err(lineOf('ROUTES'), 'ROUTES', tooLong('routes', MAX_ROUTES));

  // A list with no address in it ("DNS=," or "DNS= , ") says no more than "DNS=": the defaults
  // apply. As an empty list it would mean "no servers" now, yet be written back as nothing and mean
  // the defaults after a restart.
  const dns = addressList(get('DNS'));
  const bad = dns?.find((a) => ipv4(a) === undefined);
  if (bad !== undefined) return err(lineOf('DNS'), 'DNS', `"${bad}" is not an IPv4 address`);
  if (dns && dns.length > MAX_DNS4_SERVERS) return err(lineOf('DNS'), 'DNS', tooLong('servers', MAX_DNS4_SERVERS));
  let dns6: string[] | undefined;
  for (const a of addressList(get('DNS6')) ?? []) {
    const g = parseIpv6Unzoned(a);
    if (typeof g !== 'string') return err(lineOf('DNS6'), 'DNS6', g.error);
    (dns6 ??= []).push(g);
  }
  if (dns6 && dns6.length > MAX_DNS6_SERVERS) return err(lineOf('DNS6'), 'DNS6', tooLong('servers', MAX_DNS6_SERVERS));
  const domain = get('DOMAIN') || undefined;
  if (domain && !isValidDomainName(domain)) return err(lineOf('DOMAIN'), 'DOMAIN', `"${domain}" is not a valid domain name`);

  const hostname = get('HOSTNAME') || undefined;
  // Option 12 carries at most 255 octets; keep hostnames printable.
  if (hostname && (hostname.length > 255 || !/^[\x21-\x7e]+$/.test(hostname))) {
    return err(lineOf('HOSTNAME'), 'HOSTNAME', 'must be 1..255 printable characters without spaces');
  }

  return {
    ok: true,
    binding: {
      tap,
      indev,
      mac,
      ip,
      hostname,
      tags: get('TAGS') || undefined,
      subnet,
      gateway,
      subnet6,
      gateway6,
      eui64,
      private: flag(get('PRIVATE')),
      mtu,
      macspoof: flag(get('MACSPOOF')),
      windows: flag(get('WINDOWS')),
      uplink: get('UPLINK') || undefined,
      uplink6: get('UPLINK6') || undefined,
      routes: routes.routes,
      dns,
      dns6,
      domain,
      extra,
    },
  };
}

/** Writes a binding in the same format (nfdhcpd key order first, then onlinkd's, then unknown keys). */
export function serializeBinding(b: Binding): string {
  return bindingFileText(b).text;
}

/**
 * serializeBinding's text, and whether it quotes any value. A value written
 * unquoted is read back exactly as written (it is plain text with no blank
 * to trim), so only a file that quotes something can read back different:
 * binding-add checks the round trip only then.
 *
 * Every value not plainly safe is single-quoted (shellWord), so a hook that
 * sources the file gets exactly the value and runs nothing, whatever a
 * binding-add request put in TAGS or HOSTNAME. A line break, CR or NUL
 * cannot be written (it would start another KEY=VALUE line); the parser
 * never yields one, and this refuses to write one rather than trust that.
 */
export function bindingFileText(b: Binding): { text: string; quoted: boolean } {
  let quoted = false;
  const q = (k: string, v: string): string => {
    if (v === '') return '';
    if (/[\0\n\r]/.test(v)) throw new Error(`binding ${b.tap}: ${k} holds a line break or NUL and cannot be written`);
    const w = shellWord(v);
    if (w !== v) quoted = true;
    return w;
  };
  const lines: Array<[string, string]> = [
    ['INDEV', b.indev],
    ['IP', b.ip ?? ''],
    ['MAC', b.mac],
    ['HOSTNAME', b.hostname ?? ''],
    ['TAGS', b.tags ?? ''],
    ['GATEWAY', b.gateway ?? ''],
    ['SUBNET', b.subnet ? `${b.subnet.network}/${b.subnet.prefixLength}` : ''],
    ['GATEWAY6', b.gateway6 ?? ''],
    ['SUBNET6', b.subnet6 ? `${b.subnet6.network}/${b.subnet6.prefixLength}` : ''],
    ['EUI64', b.eui64 ?? ''],
    ['PRIVATE', b.private ? '1' : ''],
    ['MTU', b.mtu !== undefined ? String(b.mtu) : ''],
    ['MACSPOOF', b.macspoof ? '1' : ''],
  ];
  const optional: Array<[string, string]> = [
    ['WINDOWS', b.windows ? '1' : ''],
    ['UPLINK', b.uplink ?? ''],
    ['UPLINK6', b.uplink6 ?? ''],
    ['ROUTES', formatRouteList(b.routes)],
    ['DNS', b.dns?.join(',') ?? ''],
    ['DNS6', b.dns6?.join(',') ?? ''],
    ['DOMAIN', b.domain ?? ''],
  ];
  for (const kv of optional) if (kv[1] !== '') lines.push(kv);
  for (const [k, v] of Object.entries(b.extra)) lines.push([k, v]);
  const text = lines.map(([k, v]) => `${k}=${q(k, v)}`).join('\n') + '\n';
  return { text, quoted };
}
