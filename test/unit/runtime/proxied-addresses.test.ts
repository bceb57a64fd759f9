/**
 * Which addresses each uplink answers ARP/NS for (src/runtime/proxied-addresses.ts):
 * exactly the routed bindings whose taps are up, IP on the IPv4 uplink and
 * IP6/EUI64 on the IPv6 one, the binding's UPLINK/UPLINK6 before
 * `[announce] uplink`/`uplink6`; an address two taps claim reported.
 */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import type { Settings } from '../../../src/config/settings.js';
import { ipv6Key, type ProxiedAddresses } from '../../../src/protocols/uplink-proxy.js';
import { proxyIndex, type ProxyCandidate } from '../../../src/runtime/proxied-addresses.js';
import { defaultSettings } from '../../../src/config/config.js';
import { numberToIpv4 } from '../../../src/wire/addr.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';
import { testBinding } from '../../helpers/binding.js';
import { ip6 } from '../wire/helpers.js';

type ProxySettings = Pick<Settings, 'routing' | 'announce'>;

function settings(o: { manage?: boolean; uplink?: string; uplink6?: string } = {}): ProxySettings {
  const d = defaultSettings();
  return {
    routing: { ...d.routing, manage: o.manage ?? true },
    announce: { ...d.announce, uplink: o.uplink ?? 'uplink0', uplink6: o.uplink6 ?? 'uplink0' },
  };
}

const vm = (n: number, over: Partial<Binding> = {}): ProxyCandidate => ({
  binding: testBinding({ tap: `tap${n}`, indev: `tap${n}`, ip: `203.0.113.${n}`, eui64: `2001:db8::${n}`, ...over }),
  up: true,
});

/** The index as text: uplink → sorted "address tap" lines. */
function answered(candidates: ProxyCandidate[], s: ProxySettings = settings()): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, a] of proxyIndex(candidates, s).uplinks) out[name] = lines(a);
  return out;
}

function lines(a: ProxiedAddresses): string[] {
  const v4 = [...a.v4].map(([ip, tap]) => `${numberToIpv4(ip)} ${tap}`);
  const v6 = [...a.v6].map(([key, tap]) => `${formatIpv6Address(Uint8Array.from(key.match(/../g)!, (h) => parseInt(h, 16)))} ${tap}`);
  return [...v4, ...v6].sort();
}

describe('proxy index', () => {
  it('a routed binding on an up tap: IP on the IPv4 uplink, IP6 and EUI64 on the IPv6 uplink', () => {
    expect(answered([vm(10, { ip6: '2001:db8::a' })], settings({ uplink: 'eth0', uplink6: 'eth1' }))).toEqual({
      eth0: ['203.0.113.10 tap10'],
      eth1: ['2001:db8::10 tap10', '2001:db8::a tap10'],
    });
  });

  it('one uplink for both families: one entry with both maps', () => {
    expect(answered([vm(10), vm(11)])).toEqual({
      uplink0: ['2001:db8::10 tap10', '2001:db8::11 tap11', '203.0.113.10 tap10', '203.0.113.11 tap11'],
    });
  });

  it('keys are the octets (ipv6Key), whatever the text: IP6 and EUI64 written differently are one address, no conflict', () => {
    const idx = proxyIndex([vm(10, { ip6: '2001:DB8::0010', eui64: '2001:db8::10' })], settings());
    const u = idx.uplinks.get('uplink0')!;
    expect([...u.v6.keys()]).toEqual([ipv6Key(ip6('2001:db8::10'))]);
    expect(idx.conflicts).toEqual([]);
  });

  it('[routing] manage decides, ROUTED overrides it both ways', () => {
    const routedYes = vm(11, { routed: true });
    const routedNo = vm(12, { routed: false });
    const unset = vm(13);
    expect(answered([routedYes, routedNo, unset], settings({ manage: true }))).toEqual({
      uplink0: ['2001:db8::11 tap11', '2001:db8::13 tap13', '203.0.113.11 tap11', '203.0.113.13 tap13'],
    });
    expect(answered([routedYes, routedNo, unset], settings({ manage: false }))).toEqual({
      uplink0: ['2001:db8::11 tap11', '203.0.113.11 tap11'],
    });
    // Nothing routed: no uplink at all (the runtime opens no socket).
    expect(proxyIndex([routedNo, unset], settings({ manage: false })).uplinks.size).toBe(0);
  });

  it('a tap that is down is left out (the kernel keeps no route to it)', () => {
    expect(answered([{ ...vm(10), up: false }, vm(11)])).toEqual({ uplink0: ['2001:db8::11 tap11', '203.0.113.11 tap11'] });
    expect(proxyIndex([{ ...vm(10), up: false }], settings()).uplinks.size).toBe(0);
  });

  it('UPLINK / UPLINK6 override [announce] uplink / uplink6, per family', () => {
    expect(answered([vm(10, { uplink: 'bond0' }), vm(11, { uplink6: 'bond1' }), vm(12)], settings({ uplink: 'eth0', uplink6: 'eth1' }))).toEqual({
      bond0: ['203.0.113.10 tap10'],
      bond1: ['2001:db8::11 tap11'],
      eth0: ['203.0.113.11 tap11', '203.0.113.12 tap12'],
      eth1: ['2001:db8::10 tap10', '2001:db8::12 tap12'],
    });
    // An empty UPLINK= is no override (the default '' of the key).
    expect(answered([vm(10, { uplink: '', uplink6: '' })], settings({ uplink: 'eth0', uplink6: 'eth1' }))).toEqual({
      eth0: ['203.0.113.10 tap10'],
      eth1: ['2001:db8::10 tap10'],
    });
  });

  it('no uplink configured for a family: that family is answered nowhere; none at all: nothing', () => {
    expect(answered([vm(10)], settings({ uplink: '', uplink6: 'eth1' }))).toEqual({ eth1: ['2001:db8::10 tap10'] });
    expect(answered([vm(10)], settings({ uplink: 'eth0', uplink6: '' }))).toEqual({ eth0: ['203.0.113.10 tap10'] });
    expect(proxyIndex([vm(10), vm(11)], settings({ uplink: '', uplink6: '' })).uplinks.size).toBe(0);
    // The binding's own UPLINK still counts when the section has none.
    expect(answered([vm(10, { uplink: 'eth0' })], settings({ uplink: '', uplink6: '' }))).toEqual({ eth0: ['203.0.113.10 tap10'] });
  });

  it('a binding without addresses of a family adds nothing for it (no empty uplink entry for IPv4 alone)', () => {
    expect(answered([vm(10, { ip: undefined })], settings({ uplink: 'eth0', uplink6: 'eth1' }))).toEqual({ eth1: ['2001:db8::10 tap10'] });
    expect(answered([vm(10, { eui64: undefined })], settings({ uplink: 'eth0', uplink6: 'eth1' }))).toEqual({ eth0: ['203.0.113.10 tap10'] });
  });

  it('an address two taps claim: answered for the first, reported once per pair; the same tap twice is no conflict', () => {
    const idx = proxyIndex([vm(10), vm(11, { ip: '203.0.113.10', eui64: '2001:db8::10' }), vm(12, { ip: '203.0.113.10', eui64: undefined })], settings());
    expect(lines(idx.uplinks.get('uplink0')!)).toEqual(['2001:db8::10 tap10', '203.0.113.10 tap10']);
    expect(idx.conflicts).toEqual([
      { address: '203.0.113.10', tap: 'tap10', other: 'tap11' },
      { address: '2001:db8::10', tap: 'tap10', other: 'tap11' },
      { address: '203.0.113.10', tap: 'tap10', other: 'tap12' },
    ]);
    // Claims on different uplinks do not meet.
    expect(proxyIndex([vm(10, { uplink: 'eth0' }), vm(11, { ip: '203.0.113.10', uplink: 'eth1', eui64: undefined })], settings()).conflicts).toEqual([]);
  });

  it('an unparsable address (a hand-made binding) is skipped, not answered', () => {
    expect(answered([vm(10, { ip: '203.0.113.300', eui64: 'not-an-address' })])).toEqual({});
  });
});
