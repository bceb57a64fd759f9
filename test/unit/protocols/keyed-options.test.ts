/**
 * IPV6_ONLY / [dhcp] ipv6_only_preferred (option 108, RFC 8925) and
 * CAPTIVE_PORTAL (DHCPv4 114, DHCPv6 103, RFC 8910) in replies: sent only
 * when asked for; the OFFER to a client asking for 108 has yiaddr 0.0.0.0
 * (§3.3.1), its ACK the address; the value a 32-bit count of seconds;
 * frame templates still apply and match the encoder.
 */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { parseConfig } from '../../../src/config/config.js';
import { dhcp4ReplyFrame } from '../../../src/protocols/dhcp4-frame.js';
import { respondDhcp4, type Dhcp4Decision } from '../../../src/protocols/dhcp4.js';
import { makeServerDuid, respondInformationRequest, type Dhcp6FrameMeta } from '../../../src/protocols/dhcp6.js';
import type { Dhcp4Message } from '../../../src/wire/dhcp4-types.js';
import type { Dhcp6Message } from '../../../src/wire/dhcp6.js';
import { dhcp4Decoded, hex, mac48 } from '../wire/helpers.js';
import { binding6, ipv6Settings, meta } from './ipv6-helpers.js';

const MAC = 'aa:00:00:00:00:10';
const BASE = `MAC=${MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n`;
const ADDRESS = (203 << 24 | 113 << 8 | 10) >>> 0;

function binding(lines = ''): Binding {
  const r = parseBindingFile('tap10', BASE + lines);
  if (!r.ok) throw r.error;
  return r.binding;
}
const settings = (text = '') => parseConfig(text).dhcp;

function request(type: 1 | 3, prl: number[], xid = 1, more: Array<[number, Uint8Array]> = []): Dhcp4Message {
  const options: Array<[number, Uint8Array]> = [[53, Uint8Array.of(type)], ...more];
  if (prl.length) options.push([55, Uint8Array.from(prl)]);
  return dhcp4Decoded({
    op: 1, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: MAC, sname: '', file: '', options,
  });
}
const discover = (prl: number[], xid = 1) => request(1, prl, xid);
/** INIT-REBOOT REQUEST for the binding's address (option 50, no server identifier). */
const reboot = (prl: number[]) => request(3, prl, 7, [[50, Uint8Array.of(203, 0, 113, 10)]]);

function reply(d: Dhcp4Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
  return d.reply;
}
const h = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);
const opt = (m: Dhcp4Message, code: number) => h(m.options.find(([c]) => c === code)?.[1]);

describe('IPv6-only preferred (option 108, RFC 8925)', () => {
  const b = binding('IPV6_ONLY=1800\n');

  it('a client asking for 108 gets it (1800 s as 4 octets) and an OFFER with yiaddr 0.0.0.0, sent broadcast', () => {
    const r = reply(respondDhcp4(discover([1, 3, 6, 108]), b, settings(), mac48(MAC)));
    expect(opt(r.message, 108)).toBe('00000708');
    expect(r.message.yiaddr).toBe(0);
    expect(r.dstIp).toBe(0xffffffff); // nothing to unicast to
  });

  it('a client not asking for 108 never gets it, and is offered its address as before', () => {
    const r = reply(respondDhcp4(discover([1, 3, 6]), b, settings(), mac48(MAC)));
    expect(opt(r.message, 108)).toBeUndefined();
    expect(r.message.yiaddr).toBe(ADDRESS);
    expect(reply(respondDhcp4(discover([]), b, settings(), mac48(MAC))).message.yiaddr).toBe(ADDRESS);
  });

  it('an ACK (INIT-REBOOT REQUEST asking for 108) keeps the address and carries 108: the client decides (§3.2)', () => {
    const r = reply(respondDhcp4(reboot([1, 3, 108]), b, settings(), mac48(MAC)));
    expect(r.type).toBe(5);
    expect(r.message.yiaddr).toBe(ADDRESS);
    expect(opt(r.message, 108)).toBe('00000708');
  });

  it('[dhcp] ipv6_only_preferred is the default; the binding key wins; unset is off', () => {
    const s = settings('[dhcp]\nipv6_only_preferred = 300\n');
    expect(opt(reply(respondDhcp4(discover([108]), binding(), s, mac48(MAC))).message, 108)).toBe('0000012c');
    expect(opt(reply(respondDhcp4(discover([108]), b, s, mac48(MAC))).message, 108)).toBe('00000708');
    const off = reply(respondDhcp4(discover([108]), binding(), settings(), mac48(MAC)));
    expect(opt(off.message, 108)).toBeUndefined();
    expect(off.message.yiaddr).toBe(ADDRESS);
  });

  it('carries the full 32-bit range', () => {
    expect(opt(reply(respondDhcp4(discover([108]), binding('IPV6_ONLY=4294967295\n'), settings(), mac48(MAC))).message, 108)).toBe('ffffffff');
  });

  it('refuses values below MIN_V6ONLY_WAIT (300) or beyond 32 bits, in binding files and the configuration', () => {
    const err = (v: string) => {
      const r = parseBindingFile('tap10', BASE + `IPV6_ONLY=${v}\n`);
      return r.ok ? 'ok' : String(r.error.message ?? r.error);
    };
    expect(err('299')).toMatch(/IPV6_ONLY: 299 is below RFC 8925's MIN_V6ONLY_WAIT of 300 seconds/);
    expect(err('0')).toMatch(/below RFC 8925's MIN_V6ONLY_WAIT/);
    expect(err('4294967296')).toMatch(/does not fit option 108's 32 bits/);
    expect(err('30m')).toMatch(/"30m" is not a number of seconds/);
    expect(err('300')).toBe('ok');
    expect(() => parseConfig('[dhcp]\nipv6_only_preferred = 120\n', 'x.conf')).toThrow(/x\.conf:2: ipv6_only_preferred: 120 is below RFC 8925's MIN_V6ONLY_WAIT/);
  });

  it('OPTION_108 is refused, naming the key that sets it', () => {
    const r = parseBindingFile('tap10', BASE + 'OPTION_108=1800\n');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : String(r.error.message)).toMatch(/option 108 \(ipv6-only-preferred\) is set by onlinkd: it comes from IPV6_ONLY/);
  });

  it('the frame template path gives the encoder\'s bytes for the 0.0.0.0 OFFER and for the plain one', () => {
    const scratch = new Uint8Array(70000);
    const s = settings(); // one settings object: lists are kept per (binding, settings)
    for (const prl of [[1, 3, 108], [1, 3]]) {
      const first = reply(respondDhcp4(discover(prl, 10), b, s, mac48(MAC)));
      const built = dhcp4ReplyFrame(first, '02:00:00:00:00:01', scratch);
      expect(built.ok).toBe(true);
      const again = reply(respondDhcp4(discover(prl, 11), b, s, mac48(MAC)));
      expect(again.message.options).toBe(first.message.options); // shared list: the template applies
      const fast = dhcp4ReplyFrame(again, '02:00:00:00:00:01', scratch);
      const slow = dhcp4ReplyFrame(again, '02:00:00:00:00:01');
      expect(fast.ok && slow.ok && h(fast.frame) === h(slow.frame)).toBe(true);
    }
  });
});

describe('captive portal (RFC 8910)', () => {
  const URI = 'https://portal.example/api';
  const b = binding(`CAPTIVE_PORTAL=${URI}\n`);
  const uriHex = Buffer.from(URI).toString('hex');

  it('DHCPv4 option 114 holds the URI octets when asked for, and only then', () => {
    expect(opt(reply(respondDhcp4(discover([1, 114]), b, settings(), mac48(MAC))).message, 114)).toBe(uriHex);
    expect(opt(reply(respondDhcp4(discover([1, 3]), b, settings(), mac48(MAC))).message, 114)).toBeUndefined();
  });

  it('DHCPv6 option 103 in the Reply when the ORO asks, and only then', () => {
    const ir = (oro: number[]): Dhcp6Message => {
      const o = new Uint8Array(2 * oro.length);
      oro.forEach((c, i) => { o[2 * i] = c >> 8; o[2 * i + 1] = c & 255; });
      return { msgType: 11, transactionId: 1, options: [[1, hex`00 03 00 01 aa 00 00 00 00 10`], [6, o]] };
    };
    const m: Dhcp6FrameMeta = { ...meta({ dst: 'ff02::1:2', hopLimit: 1 }), srcPort: 546 };
    const b6 = binding6({ captivePortal: URI });
    const run = (oro: number[]) => {
      const d = respondInformationRequest(ir(oro), m, b6, ipv6Settings(), makeServerDuid('02:00:00:00:00:01'), '02:00:00:00:00:01');
      if (d.kind !== 'reply') throw new Error(d.kind);
      return h(d.reply.message.options.find(([c]) => c === 103)?.[1]);
    };
    expect(run([23, 103])).toBe(uriHex);
    expect(run([23])).toBeUndefined();
  });

  it('accepts https URIs and the unrestricted URN; refuses other schemes, blanks and overlong values; OPTION_114/OPTION6_103 refused', () => {
    const err = (v: string) => {
      const r = parseBindingFile('tap10', BASE + `CAPTIVE_PORTAL=${v}\n`);
      return r.ok ? 'ok' : String(r.error.message);
    };
    expect(err('urn:ietf:params:capport:unrestricted')).toBe('ok');
    expect(err('https://[2001:db8::1]/capport')).toBe('ok');
    expect(err('http://portal.example/')).toMatch(/must be an https:\/\/ URI \(RFC 8908 §2\)/);
    expect(err('portal.example')).toMatch(/is not a URI/);
    expect(err(`https://p.example/${'a'.repeat(250)}`)).toMatch(/at most 255 printable ASCII/);
    expect(err('OPTION_114')).not.toBe('ok');
    const r = parseBindingFile('tap10', BASE + 'OPTION_114=text:https://x.example/\n');
    expect(r.ok ? '' : String(r.error.message)).toMatch(/option 114 \(captive-portal\) is set by onlinkd: the captive portal URI comes from CAPTIVE_PORTAL/);
    const r6 = parseBindingFile('tap10', BASE + 'OPTION6_103=text:https://x.example/\n');
    expect(r6.ok ? '' : String(r6.error.message)).toMatch(/option 103 \(captive-portal\) is set by onlinkd/);
  });
});
