/**
 * The DHCPv4 responder and its reply templates under hostile requests: any
 * sequence of decodable requests (mutated from real request shapes) never
 * makes the responder or the framer throw, and a reply served from a
 * template is byte for byte the reply the encoder builds from scratch.
 * The per-binding caches are keyed on what a guest sends, so this is where
 * a guest would try to make them serve a stale or foreign frame.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/config.js';
import { dhcp4ReplyFrame } from '../../src/protocols/dhcp4-frame.js';
import { respondDhcp4 } from '../../src/protocols/dhcp4.js';
import { decodeDhcp4, encodeDhcp4 } from '../../src/wire/dhcp4.js';
import type { Dhcp4MessageSpec } from '../../src/wire/dhcp4-types.js';
import { parseMac48 } from '../../src/wire/addr.js';
import { testBinding, TEST_VM_MAC } from '../helpers/binding.js';
import { RUNS, fuzzInput, fuzzParams, fuzzTimeout, outcome } from './harness.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const SERVER_MAC = 'fe:00:00:00:00:01';

const BASE: Dhcp4MessageSpec = {
  op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x3903f326, secs: 0, flags: 0,
  ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
  chaddr: TEST_VM_MAC, sname: '', file: '', options: [],
};

/** Real request shapes: DISCOVER (Windows-like), REQUEST selecting and renewing, INFORM. */
const REQUESTS: Dhcp4MessageSpec[] = [
  { ...BASE, options: [[53, hex('01')], [61, hex('01aa0000000010')], [57, hex('05dc')], [60, hex('4d53465420352e30')], [55, hex('0103060f7779f9fc')]] },
  { ...BASE, flags: 0x8000, options: [[53, hex('03')], [54, hex('cb007101')], [50, hex('cb00710a')], [55, hex('01030f79')]] },
  { ...BASE, ciaddr: '203.0.113.10', options: [[53, hex('03')], [61, hex('ff0102030405060708')], [55, hex('0103062a77')]] },
  { ...BASE, ciaddr: '203.0.113.10', options: [[53, hex('08')], [55, hex('010306')]] },
  // Network boot shapes: a PXE UEFI ROM (60, 93 = 7, asks 66/67) and iPXE (77 "iPXE", 175).
  { ...BASE, options: [[53, hex('01')], [60, hex('505845436c69656e74')], [93, hex('0007')], [55, hex('0103064243')]] },
  { ...BASE, options: [[53, hex('01')], [77, hex('69505845')], [175, hex('b10101')], [93, hex('0000')], [55, hex('01030643')]] },
];
const SEEDS = REQUESTS.map((m) => {
  const r = encodeDhcp4(m);
  if (!r.ok) throw new Error(r.error.toString());
  return r.value;
});

const settings = { ...defaultSettings().dhcp, nameservers: ['198.51.100.53'], domain: 'example.org', domainSearch: ['example.org', 'example.net'] };
const BINDINGS = [
  testBinding(),
  testBinding({ windows: true, hostname: 'h'.repeat(120), domain: 'd'.repeat(120) }), // trimmed or overloaded at 576
  testBinding({ private: true, mtu: 576 }),
  // Boot keys: the iPXE file is longer than the file field (option 67 only), the others fit.
  testBinding({ bootfile: 'undionly.kpxe', bootfileEfi: 'e'.repeat(127), ipxeBootfile: `http://203.0.113.1/${'x'.repeat(200)}`, nextServer: '203.0.113.1' }),
];

describe('dhcp4 reply fuzz', () => {
  it('responder and templates: never throw; a template reply equals the encoder\'s bytes, in any sequence', () => {
    const scratch = new Uint8Array(64 * 1024 + 64);
    // Requests are decoded in place from one reused buffer, as from the receive ring: a reply or
    // template that kept a view into a request would see the next request's octets.
    const ring = new Uint8Array(1024);
    let replies = 0;
    let fromTemplate = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fuzzInput(SEEDS, 700, [0x00, 0x01, 0x03, 0x07, 0x08, 0x35, 0x37, 0x39, 0x3c, 0x3d, 0x42, 0x43, 0x4d, 0x5d, 0x80, 0xaf, 0xff]), fc.nat(3)), { minLength: 1, maxLength: 8 }), (reqs) => {
        for (const [bytes, which] of reqs) {
          ring.fill(0xa5).set(bytes);
          const m = outcome(() => decodeDhcp4(ring.subarray(0, bytes.length)));
          if (!m) continue;
          const b = BINDINGS[which]!;
          const d = respondDhcp4(m, b, settings, parseMac48(b.mac)!);
          if (d.kind !== 'reply') continue;
          const fresh = dhcp4ReplyFrame(d.reply, SERVER_MAC); // the encoder, never a template
          const fast = dhcp4ReplyFrame(d.reply, SERVER_MAC, scratch);
          expect(fast.ok).toBe(fresh.ok);
          if (!fresh.ok || !fast.ok) continue;
          replies++;
          if (fast.frame.buffer !== scratch.buffer) fromTemplate++;
          expect(Buffer.from(fast.frame).equals(Buffer.from(fresh.frame))).toBe(true);
        }
      }),
      fuzzParams(),
    );
    // Not vacuous: mutated requests are answered, and many of the answers come from templates.
    expect(replies).toBeGreaterThan(RUNS / 10);
    expect(fromTemplate).toBeGreaterThan(replies / 10);
  }, fuzzTimeout(60));
});
