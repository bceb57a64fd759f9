/**
 * DHCPv4 reply templates (dhcp4-frame.ts) and the shared option lists they
 * are keyed on (configOptions in dhcp4.ts): whatever sequence of requests
 * arrives, a reply built from a template is byte for byte the reply the
 * encoder builds from scratch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import { defaultSettings } from '../../../src/config/config.js';
import { testBinding } from '../../helpers/binding.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { dhcp4ReplyFrame } from '../../../src/protocols/dhcp4-frame.js';
import { respondDhcp4, type Dhcp4Decision } from '../../../src/protocols/dhcp4.js';
import type { Dhcp4Message } from '../../../src/wire/dhcp4-types.js';
import { dhcp4Decoded, mac48 } from '../wire/helpers.js';

const MAC = 'aa:00:00:00:00:10';
/** The MAC as the decoder gives it: what the responder is handed. */
const MAC48 = mac48(MAC);
const SERVER_MACS = ['fe:00:00:00:00:01', 'fe:00:00:00:00:02'];

const binding = testBinding;

function parsed(options: string): Binding {
  const r = parseBindingFile('tap10', `MAC=${MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n${options}`);
  if (!r.ok) throw r.error;
  return r.binding;
}

const base = defaultSettings().dhcp;
const SETTINGS = [
  { ...base, nameservers: ['198.51.100.53'], domain: 'example.org' },
  { ...base, nameservers: ['198.51.100.99', '198.51.100.98'], leaseLifetime: 60, domainSearch: ['example.org', 'example.net'] },
];
const BINDINGS = [
  binding(),
  binding({ windows: true, mtu: 1400, hostname: 'a'.repeat(200), domain: 'b'.repeat(200) }), // overload at 576
  binding({ private: true, ip: '198.51.100.20', subnet: { network: '198.51.100.0', prefixLength: 24 }, gateway: undefined }),
  // Operator options (OPTION_<n>): asked-for, always:, and one over 255 octets (RFC 3396 split).
  parsed('OPTION_42=203.0.113.5,203.0.113.6\nOPTION_224=always:hex:0a0b0c\nOPTION_226=text:' + 'y'.repeat(300) + '\n'),
];
const CLIENT_IDS = [undefined, Uint8Array.of(1, 0xaa, 0, 0, 0, 0, 0x10), Uint8Array.of(0xff, 1, 2, 3, 4, 5, 6, 7, 8)];

const request = fc.record({
  kind: fc.constantFrom('discover', 'selecting', 'init-reboot', 'renewing', 'inform', 'wrong-address'),
  xid: fc.integer({ min: 0, max: 0xffffffff }),
  broadcast: fc.boolean(),
  prl: fc.subarray([1, 3, 6, 15, 42, 119, 121, 226, 249]),
  windows: fc.boolean(),
  maxSize: fc.constantFrom(undefined, 576, 1500, 9000),
  cid: fc.constantFrom(...CLIENT_IDS.keys()),
  chaddr: fc.constantFrom(MAC, 'aa:00:00:00:00:11'),
  binding: fc.constantFrom(...BINDINGS.keys()),
  settings: fc.constantFrom(...SETTINGS.keys()),
  serverMac: fc.constantFrom(...SERVER_MACS),
});

type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function message(r: Req, b: Binding): Dhcp4Message {
  const ip = (s: string) => Uint8Array.from(s.split('.').map(Number));
  const type = { discover: 1, selecting: 3, 'init-reboot': 3, renewing: 3, inform: 8, 'wrong-address': 3 }[r.kind];
  const options: Array<[number, Uint8Array]> = [[53, Uint8Array.of(type)]];
  if (r.kind === 'selecting') options.push([54, ip(b.gateway ?? '198.51.100.1')], [50, ip(b.ip!)]);
  if (r.kind === 'init-reboot') options.push([50, ip(b.ip!)]);
  if (r.kind === 'wrong-address') options.push([50, ip('192.0.2.99')]);
  if (r.prl.length > 0) options.push([55, Uint8Array.from(r.prl)]);
  if (r.windows) options.push([60, new TextEncoder().encode('MSFT 5.0')]);
  if (r.maxSize !== undefined) options.push([57, Uint8Array.of(r.maxSize >> 8, r.maxSize & 255)]);
  const cid = CLIENT_IDS[r.cid];
  if (cid) options.push([61, cid.slice()]); // a fresh view each time, as from a receive buffer
  const ciaddr = r.kind === 'renewing' || r.kind === 'inform' ? b.ip! : '0.0.0.0';
  return dhcp4Decoded({
    op: 1, htype: 1, hlen: 6, hops: 0, xid: r.xid, secs: 3, flags: r.broadcast ? 0x8000 : 0,
    ciaddr, yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: r.chaddr, sname: '', file: '', options,
  });
}

function reply(d: Dhcp4Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
  return d.reply;
}

describe('DHCPv4 reply templates', () => {
  it('give exactly the encoder\'s bytes over any sequence of requests, bindings, settings and server MACs', () => {
    const scratch = new Uint8Array(64 * 1024 + 64);
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 40 }), (reqs) => {
        for (const r of reqs) {
          const b = BINDINGS[r.binding]!;
          const d = respondDhcp4(message(r, b), b, SETTINGS[r.settings]!, mac48(r.chaddr));
          if (d.kind !== 'reply') continue;
          const fresh = dhcp4ReplyFrame(d.reply, r.serverMac); // no scratch: the encoder, never a template
          const fast = dhcp4ReplyFrame(d.reply, r.serverMac, scratch);
          if (!fresh.ok || !fast.ok) throw new Error('encode');
          expect(Buffer.from(fast.frame).toString('hex')).toBe(Buffer.from(fresh.frame).toString('hex'));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reuses one option list per request shape and keeps its own copy of the client identifier', () => {
    const b = BINDINGS[0]!;
    const s = SETTINGS[0]!;
    const r: Req = {
      kind: 'discover', xid: 1, broadcast: false, prl: [1, 3, 121], windows: false, maxSize: undefined, cid: 1,
      chaddr: MAC, binding: 0, settings: 0, serverMac: SERVER_MACS[0]!,
    };
    const m1 = message(r, b);
    const first = reply(respondDhcp4(m1, b, s, MAC48)).message.options;
    const again = reply(respondDhcp4(message({ ...r, xid: 2 }, b), b, s, MAC48)).message.options;
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // The receive buffer is reused for the next frame: the list must not see that.
    m1.options.find(([c]) => c === 61)![1].fill(0);
    expect(first.find(([c]) => c === 61)![1]).toEqual(CLIENT_IDS[1]);
    // Another client identifier, PRL or client kind gives another list.
    expect(reply(respondDhcp4(message({ ...r, cid: 2 }, b), b, s, MAC48)).message.options).not.toBe(first);
    expect(reply(respondDhcp4(message({ ...r, prl: [1, 3] }, b), b, s, MAC48)).message.options).not.toBe(first);
    expect(reply(respondDhcp4(message({ ...r, windows: true }, b), b, s, MAC48)).message.options).not.toBe(first);
    // A reload (new settings object) builds anew.
    expect(reply(respondDhcp4(message(r, b), b, { ...s }, MAC48)).message.options).not.toBe(first);
  });

  it('keeps at most four option lists per binding, however a guest varies its requests', () => {
    const b = testBinding(); // a binding of its own: no list from the other tests
    const s = SETTINGS[0]!;
    const ask = (cid: number) => {
      const m = message({ kind: 'discover', xid: 1, broadcast: false, prl: [1, 3], windows: false, maxSize: undefined, cid: 0, chaddr: MAC, binding: 0, settings: 0, serverMac: SERVER_MACS[0]! }, b);
      m.options.push([61, Uint8Array.of(0xff, cid >> 8, cid & 255)]);
      return reply(respondDhcp4(m, b, s, MAC48)).message.options;
    };
    const first = ask(0);
    for (let i = 1; i <= 3; i++) ask(i);
    expect(ask(0)).toBe(first); // four kept: the first is still there
    for (let i = 4; i <= 100; i++) ask(i); // a hostile churn of client identifiers
    expect(ask(0)).not.toBe(first); // evicted long ago: built anew
  });

  it('keeps its own copy of chaddr: the request\'s is a view into a receive buffer that is reused', () => {
    const scratch = new Uint8Array(64 * 1024 + 64);
    const b = BINDINGS[0]!;
    const r: Req = {
      kind: 'discover', xid: 7, broadcast: true, prl: [1, 3, 6], windows: false, maxSize: 576, cid: 0,
      chaddr: MAC, binding: 0, settings: 0, serverMac: SERVER_MACS[1]!,
    };
    const m = message(r, b);
    const first = dhcp4ReplyFrame(reply(respondDhcp4(m, b, SETTINGS[0]!, MAC48)), r.serverMac, scratch);
    if (!first.ok) throw new Error('encode');
    // The ring slot now holds another client's frame: a template that kept the view would match it.
    m.chaddr.set([0xaa, 0, 0, 0, 0, 0x11]);
    const d = reply(respondDhcp4(message({ ...r, xid: 8, chaddr: 'aa:00:00:00:00:11' }, b), b, SETTINGS[0]!, MAC48));
    const fast = dhcp4ReplyFrame(d, r.serverMac, scratch);
    const fresh = dhcp4ReplyFrame(d, r.serverMac);
    if (!fast.ok || !fresh.ok) throw new Error('encode');
    expect(Buffer.from(fast.frame).toString('hex')).toBe(Buffer.from(fresh.frame).toString('hex'));
  });

  it('patches a template in place: a second reply differing only in xid comes from the same buffer', () => {
    const scratch = new Uint8Array(64 * 1024 + 64);
    const b = BINDINGS[0]!;
    const r: Req = {
      kind: 'discover', xid: 0x01020304, broadcast: true, prl: [1, 3], windows: false, maxSize: 1500, cid: 0,
      chaddr: MAC, binding: 0, settings: 0, serverMac: SERVER_MACS[0]!,
    };
    const one = dhcp4ReplyFrame(reply(respondDhcp4(message(r, b), b, SETTINGS[0]!, MAC48)), r.serverMac, scratch);
    const two = dhcp4ReplyFrame(reply(respondDhcp4(message({ ...r, xid: 0xfffefdfc }, b), b, SETTINGS[0]!, MAC48)), r.serverMac, scratch);
    if (!one.ok || !two.ok) throw new Error('encode');
    expect(one.frame.buffer).toBe(scratch.buffer); // the first is encoded, then kept
    expect(two.frame.buffer).not.toBe(scratch.buffer); // the second is the template
    expect(Array.from(two.frame.subarray(46, 50))).toEqual([0xff, 0xfe, 0xfd, 0xfc]);
    // An xid the encoder refuses is refused with a template in place too (never wrapped into 32 bits).
    const bad = reply(respondDhcp4(message({ ...r, xid: 0xfffefdfc }, b), b, SETTINGS[0]!, MAC48));
    bad.message.xid = 2 ** 32 + 5;
    expect(dhcp4ReplyFrame(bad, r.serverMac, scratch).ok).toBe(false);
    expect(dhcp4ReplyFrame(bad, r.serverMac).ok).toBe(false);
  });
});
