/**
 * Fuzzing stateful DHCPv6 (issue 14): the IA codecs and the stateful path
 * of respondDhcp6 on mutated Solicit/Request/Renew/Rebind/Confirm/Release/
 * Decline messages (seeded with dhclient's and dhcpcd's shapes: IA_NA,
 * IA_PD, both, Rapid Commit). A decoder gives a value or a DecodeError and
 * its value re-encodes to the same bytes; the responder never throws, and
 * its reply encodes, frames and decodes back to the same message, with an
 * address only ever the binding's (or one the client named, at lifetime 0).
 *
 *     FUZZ_RUNS=200000 npx vitest run test/fuzz/dhcp6-stateful.fuzz.test.ts
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuzzInput, fuzzParams, fuzzTimeout, outcome } from './harness.js';
import { dhcp6ReplyFrame } from '../../src/protocols/dhcp6-frame.js';
import { makeServerDuid, respondDhcp6 } from '../../src/protocols/dhcp6.js';
import { decodeDhcp6, encodeDhcp6 } from '../../src/wire/dhcp6.js';
import {
  decodeIa, decodeIaAddress, decodeIaPrefix, encodeIa, encodeIaAddress, encodeIaPrefix, iaAddresses, iaPrefixes, identityAssociations,
} from '../../src/wire/dhcp6-ia.js';
import { decodeDhcp6Frame } from '../../src/wire/frame6.js';
import { formatIpv6Address, parseIpv6Address } from '../../src/wire/ipv6-address.js';
import { binding6, ipv6Settings } from '../unit/protocols/ipv6-helpers.js';
import { ip6 } from '../unit/wire/helpers.js';

const params = fuzzParams();
const TIMEOUT = fuzzTimeout(20);
const SERVER_DUID = makeServerDuid('fe:00:00:00:00:01');
const IP6 = '2001:db8:10::77';
const CID = Uint8Array.of(0, 3, 0, 1, 0xaa, 0, 0, 0, 0, 0x10);

const addr = (a: string): [number, Uint8Array] => [5, encodeIaAddress({ address: parseIpv6Address(a)!, preferredLifetime: 7200, validLifetime: 7500, options: [] })];
const pfx = (p: string, len: number): [number, Uint8Array] => [26, encodeIaPrefix({ prefix: parseIpv6Address(p)!, prefixLength: len, preferredLifetime: 7200, validLifetime: 7500, options: [] })];
const NA = encodeIa({ code: 3, iaid: 0x0a0b0c0d, t1: 3600, t2: 5400, options: [addr(IP6)] });
const NA_OTHER = encodeIa({ code: 3, iaid: 1, t1: 0, t2: 0, options: [addr('2001:db8:10::99'), [13, Uint8Array.of(0, 0)]] });
const PD = encodeIa({ code: 25, iaid: 7, t1: 0, t2: 0, options: [pfx('2001:db8:100::', 56)] });
const TA = encodeIa({ code: 4, iaid: 2, t1: 0, t2: 0, options: [addr('2001:db8:10::5')] });

function message(type: number, ...options: Array<[number, Uint8Array]>): Uint8Array {
  const sid: Array<[number, Uint8Array]> = [3, 5, 8, 9].includes(type) ? [[2, SERVER_DUID]] : [];
  return encodeDhcp6({ msgType: type, transactionId: 0x3c2b1a, options: [[1, CID], ...sid, [6, Uint8Array.of(0, 23, 0, 24)], [8, Uint8Array.of(0, 0)], ...options] });
}

const SEEDS = [
  message(1, [3, NA]), message(1, [25, PD]), message(1, [3, NA], [25, PD], [14, new Uint8Array(0)]), message(1, [4, TA], [3, NA_OTHER]),
  message(3, [3, NA], [25, PD]), message(5, [3, NA_OTHER], [25, PD]), message(6, [3, NA], [25, PD]), message(4, [3, NA_OTHER]),
  message(8, [3, NA], [25, PD]), message(9, [3, NA]),
];
const IA_SEEDS = [NA, NA_OTHER, PD, TA];
const INTERESTING = [0, 1, 2, 3, 4, 5, 6, 8, 9, 13, 14, 25, 26, 0x7f, 0x80, 0xff];

describe('stateful DHCPv6 fuzz', () => {
  it('IA options: a value or a DecodeError; values re-encode to the same bytes', () => {
    fc.assert(
      fc.property(fuzzInput(IA_SEEDS, 160, INTERESTING), fc.constantFrom(3, 4, 25, 5, 26), (b, code) => {
        if (code === 5) {
          const a = outcome(() => decodeIaAddress(b));
          if (a) expect(encodeIaAddress(a)).toEqual(b);
          return;
        }
        if (code === 26) {
          const p = outcome(() => decodeIaPrefix(b));
          if (p) expect(encodeIaPrefix(p)).toEqual(b);
          return;
        }
        const ia = outcome(() => decodeIa(code, b));
        if (!ia) return;
        expect(encodeIa(ia)).toEqual(b);
        iaAddresses(ia);
        iaPrefixes(ia);
      }),
      params,
    );
  }, TIMEOUT);

  it('respondDhcp6 in mode dhcpv6: never throws; a reply frames, decodes back, and gives only the binding address', () => {
    const settings = ipv6Settings({ mode: 'dhcpv6' });
    const bindings = [binding6({ ip6: IP6, prefix6: { network: '2001:db8:100::', prefixLength: 56 } }), binding6(), binding6({ eui64: undefined })];
    fc.assert(
      fc.property(fuzzInput(SEEDS, 400, INTERESTING), fc.nat(2), fc.boolean(), (b, which, multicast) => {
        const m = outcome(() => decodeDhcp6(b));
        if (!m) return;
        const meta = { srcMac: 0xaa0000000010, src: ip6('fe80::a800:ff:fe00:10'), dst: ip6(multicast ? 'ff02::1:2' : 'fe80::fc00:ff:fe00:1'), hopLimit: 1, srcPort: 546 };
        const d = respondDhcp6(m, meta, bindings[which]!, settings, SERVER_DUID, 'fe:00:00:00:00:01');
        if (d.kind !== 'reply') return;
        const f = dhcp6ReplyFrame(d.reply, 'fe:00:00:00:00:01');
        expect(f.ok).toBe(true);
        if (!f.ok) return;
        expect(outcome(() => decodeDhcp6Frame(f.frame))?.message).toEqual(d.reply.message);
        const named = new Set<string>();
        for (const ia of identityAssociations(m.options).ias) for (const a of iaAddresses(ia)) named.add(formatIpv6Address(a.address));
        for (const ia of identityAssociations(d.reply.message.options).ias) {
          for (const a of iaAddresses(ia)) {
            const text = formatIpv6Address(a.address);
            if (a.validLifetime !== 0) expect([IP6, bindings[which]!.eui64]).toContain(text);
            else expect(named.has(text)).toBe(true);
          }
        }
      }),
      params,
    );
  }, TIMEOUT);
});
