/**
 * DHCPv6 option 56's value type (RFC 5908 sub-options): lists of
 * addresses and names round-trip through the octets; any octets — random
 * or a random sequence of well-formed and broken sub-options — format
 * without throwing, and a typed text parses back to exactly those octets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NTP_SERVER_LIST } from '../../src/wire/ntp-server-option.js';
import { fuzzParams, fuzzTimeout } from './harness.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const multicast = ipv6.map((a) => `ff${a.slice(2)}`);
const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,12}$/);
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const source = fc.oneof(ipv6, multicast, name, fc.string({ maxLength: 12 }));

const sub = fc.record({ code: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 0, max: 0xffff })), value: fc.uint8Array({ maxLength: 24 }), lie: fc.integer({ min: -2, max: 2 }) });
const subs = fc.array(sub, { maxLength: 5 }).map((list) => {
  const parts: number[] = [];
  for (const s of list) {
    const len = Math.max(0, s.value.length + (s.lie === 0 || s.lie === 1 ? 0 : s.lie));
    parts.push(s.code >> 8, s.code & 255, len >> 8, len & 255, ...s.value);
  }
  return Uint8Array.from(parts);
});

function roundTrips(b: Uint8Array): void {
  const t = NTP_SERVER_LIST.format(b);
  if (t === undefined) return;
  const r = NTP_SERVER_LIST.parse(t);
  expect(r.ok, t).toBe(true);
  if (r.ok) expect(hex(r.bytes)).toBe(hex(b));
}

describe('DHCPv6 option 56 value type', () => {
  it('parse never throws; accepted lists format back to text that parses to the same octets', () => {
    fc.assert(
      fc.property(fc.array(source, { minLength: 0, maxLength: 5 }), fc.constantFrom(',', ', ', ' '), (items, sep) => {
        const r = NTP_SERVER_LIST.parse(items.join(sep));
        if (!r.ok) {
          expect(typeof r.error).toBe('string');
          return;
        }
        const t = NTP_SERVER_LIST.format(r.bytes);
        expect(t).toBeDefined();
        const again = NTP_SERVER_LIST.parse(t!);
        expect(again.ok && hex(again.bytes)).toBe(hex(r.bytes));
      }),
      fuzzParams(),
    );
  }, fuzzTimeout());

  it('format never throws on any octets, and what it types parses back to them', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), subs), roundTrips), fuzzParams());
  }, fuzzTimeout());
});
