/**
 * Operator-set DHCPv4 options (OPTION_<n>, [dhcp4-options]) in OFFER/ACK:
 * sent when asked for or always:, the binding's winning over the
 * configuration's, option 119 replacing [dhcp] domain_search, a value over
 * 255 octets split (RFC 3396) and joined again by the decoder, and the
 * shared option list per request shape.
 */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { parseConfig } from '../../../src/config/config.js';
import { dhcp4ReplyFrame } from '../../../src/protocols/dhcp4-frame.js';
import { respondDhcp4, type Dhcp4Decision } from '../../../src/protocols/dhcp4.js';
import { decodeDhcp4 } from '../../../src/wire/dhcp4.js';
import type { Dhcp4Message } from '../../../src/wire/dhcp4-types.js';
import { dhcp4Decoded, mac48 } from '../wire/helpers.js';

const MAC = 'aa:00:00:00:00:10';
const BASE = `MAC=${MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n`;

function binding(options = ''): Binding {
  const r = parseBindingFile('tap10', BASE + options);
  if (!r.ok) throw r.error;
  return r.binding;
}

const settings = (text = '') => parseConfig(text).dhcp;

function discover(prl: number[], xid = 1): Dhcp4Message {
  const options: Array<[number, Uint8Array]> = [[53, Uint8Array.of(1)]];
  if (prl.length) options.push([55, Uint8Array.from(prl)]);
  return dhcp4Decoded({
    op: 1, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: MAC, sname: '', file: '', options,
  });
}

function offer(d: Dhcp4Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
  return d.reply;
}

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);
const opt = (m: Dhcp4Message, code: number) => hex(m.options.find(([c]) => c === code)?.[1]);
const codes = (m: Dhcp4Message) => m.options.map(([c]) => c);

describe('operator DHCPv4 options in replies', () => {
  const b = binding('OPTION_42=203.0.113.5,203.0.113.6\nOPTION_224=always:hex:0a0b0c\nOPTION_17=/srv/root\n');
  const s = settings('[dhcp4-options]\n42 = 198.51.100.1\n2 = -3600\n');

  it('sends an option only when the PRL asks for it; always: ones to every client; after onlinkd\'s own', () => {
    const none = offer(respondDhcp4(discover([1, 3]), b, s, mac48(MAC))).message;
    expect(opt(none, 42)).toBeUndefined();
    expect(opt(none, 17)).toBeUndefined();
    expect(opt(none, 224)).toBe('0a0b0c');
    const asked = offer(respondDhcp4(discover([1, 3, 42, 2]), b, s, mac48(MAC))).message;
    expect(opt(asked, 42)).toBe('cb007105cb007106'); // the binding's, not the configuration's 198.51.100.1
    expect(opt(asked, 2)).toBe('fffff1f0'); // the configuration's, for a code the binding does not set
    expect(codes(asked).slice(-3)).toEqual([2, 42, 224]);
    // A client without a PRL gets only the always: ones.
    expect(codes(offer(respondDhcp4(discover([]), b, s, mac48(MAC))).message)).toContain(224);
  });

  it('replies without operator options are what they were', () => {
    const plain = offer(respondDhcp4(discover([1, 3, 42, 224]), binding(), settings(), mac48(MAC))).message;
    expect(codes(plain)).toEqual([53, 54, 51, 58, 59, 1, 3, 28]);
  });

  it('keeps one shared list per request shape, another when the PRL asks for other operator options', () => {
    const first = offer(respondDhcp4(discover([1, 3, 42], 1), b, s, mac48(MAC))).message.options;
    expect(offer(respondDhcp4(discover([1, 3, 42], 2), b, s, mac48(MAC))).message.options).toBe(first);
    const other = offer(respondDhcp4(discover([1, 3, 17], 3), b, s, mac48(MAC))).message.options;
    expect(other).not.toBe(first);
    expect(hex(other.find(([c]) => c === 17)?.[1])).toBe(Buffer.from('/srv/root').toString('hex'));
    // A binding change (a new object) shows in the next reply.
    const changed = binding('OPTION_42=203.0.113.9\n');
    expect(opt(offer(respondDhcp4(discover([42], 4), changed, s, mac48(MAC))).message, 42)).toBe('cb007109');
  });

  it('option 119 from the operator replaces [dhcp] domain_search', () => {
    const s119 = settings('[dhcp]\ndomain_search = example.org\n');
    const plain = offer(respondDhcp4(discover([119]), binding(), s119, mac48(MAC))).message;
    expect(opt(plain, 119)).toBe('076578616d706c65036f726700');
    const over = offer(respondDhcp4(discover([119]), binding('OPTION_119=lab.example\n'), s119, mac48(MAC))).message;
    expect(over.options.filter(([c]) => c === 119)).toHaveLength(1);
    expect(opt(over, 119)).toBe('036c6162076578616d706c6500');
  });

  it('splits a value over 255 octets (RFC 3396) and the decoder joins it back, template or not', () => {
    const long = 'z'.repeat(400);
    const bl = binding(`OPTION_226=text:${long}\n`);
    const r = offer(respondDhcp4(discover([226]), bl, settings(), mac48(MAC)));
    r.maxLength = 1500;
    for (const scratch of [undefined, new Uint8Array(70_000)]) {
      const f = dhcp4ReplyFrame(r, 'fe:00:00:00:00:01', scratch);
      if (!f.ok) throw new Error('encode');
      const payload = f.frame.subarray(14 + 20 + 8);
      // Two TLVs of code 226 on the wire: 255 + 145 octets.
      const at = [...payload.keys()].filter((i) => payload[i] === 226 && (payload[i + 1] === 255 || payload[i + 1] === 145));
      expect(at.length).toBeGreaterThanOrEqual(2);
      const back = decodeDhcp4(payload);
      expect(back.ok && Buffer.from(back.value.options.find(([c]) => c === 226)![1]).toString()).toBe(long);
    }
  });

  it('a reply too big for the client drops the operator options first, never onlinkd\'s own', () => {
    const big = binding(`OPTION_226=always:text:${'q'.repeat(1000)}\n`);
    const r = offer(respondDhcp4(discover([1, 3]), big, settings(), mac48(MAC)));
    const f = dhcp4ReplyFrame(r, 'fe:00:00:00:00:01');
    if (!f.ok) throw new Error('encode');
    const back = decodeDhcp4(f.frame.subarray(42));
    expect(back.ok && back.value.options.map(([c]) => c)).toEqual([53, 54, 51, 58, 59, 1, 3, 28]);
  });
});
