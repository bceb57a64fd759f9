import { describe, expect, it } from 'vitest';
import { respondNeighborSolicitation, type NeighborDecision } from '../../../src/protocols/neighbor.js';
import { ndpReplyFrame } from '../../../src/protocols/ndp-frame.js';
import { decodeNdpFrame } from '../../../src/wire/frame6.js';
import { formatIpv6Address, ipv6Text, normalizeIpv6Address } from '../../../src/wire/ipv6-address.js';
import { solicitedNodeAddress } from '../../../src/wire/ipv6-derive.js';
import type { NeighborAdvertisement, NeighborSolicitation } from '../../../src/wire/ndp.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { NA_FRAME, NS_FRAME } from '../wire/ipv6-golden.js';
import { ROUTER_LL, SERVER_MAC, VM_EUI64, VM_LL, VM_MAC, binding6, ipv6Settings, meta, octets } from './ipv6-helpers.js';
import { decodedAddresses } from '../wire/helpers.js';

const GATEWAY = '2001:db8:10::1';

function ns(target: string, options: NeighborSolicitation['options'] = [{ kind: 'source-link-layer', mac: VM_MAC }]): NeighborSolicitation {
  return { type: 135, code: 0, target: octets(target), options };
}

/** Frame metadata of an NS to the target's solicited-node group (what ndisc6 and kernels send first). */
function nsMeta(target: string, over: Parameters<typeof meta>[0] = {}) {
  return meta({ dst: normalizeIpv6Address(target) ? solicitedNodeAddress(target) : 'ff02::1', ...over });
}

function na(d: NeighborDecision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return { ...d.reply, message: d.reply.message as NeighborAdvertisement, target: d.target };
}

describe('neighbor solicitation → advertisement', () => {
  const b = binding6();
  const s = ipv6Settings();

  it('answers the scapy NS for GATEWAY6 with the scapy NA, byte for byte', () => {
    const d = decodeNdpFrame(NS_FRAME);
    if (!d.ok) throw new Error(d.error.toString());
    const r = na(respondNeighborSolicitation(d.value.message as NeighborSolicitation, d.value.frame, b, s, SERVER_MAC));
    const f = ndpReplyFrame(r, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame).toEqual(NA_FRAME);
  });

  it('GATEWAY6: R=1 S=1 O=1, TLLAO = INDEV MAC, from the target itself, unicast to the NS source at its MAC', () => {
    const r = na(respondNeighborSolicitation(ns(GATEWAY), nsMeta(GATEWAY), b, s, SERVER_MAC));
    expect(r.target).toBe('gateway');
    expect(r).toMatchObject(decodedAddresses({ srcIp: GATEWAY, dstIp: VM_LL, dstMac: VM_MAC }));
    expect(r.message).toEqual(decodedAddresses({
      type: 136,
      code: 0,
      router: true,
      solicited: true,
      override: true,
      target: GATEWAY,
      options: [{ kind: 'target-link-layer', mac: SERVER_MAC }],
    }));
  });

  it('the router link-local (EUI-64 of the INDEV MAC): O=1, from the router link-local', () => {
    const r = na(respondNeighborSolicitation(ns(ROUTER_LL), nsMeta(ROUTER_LL), b, s, SERVER_MAC));
    expect(r.target).toBe('router-link-local');
    expect(ipv6Text(r.srcIp)).toBe(ROUTER_LL);
    expect(r.message.override).toBe(true);
    // Also with neither SUBNET6 nor GATEWAY6 in the binding.
    expect(respondNeighborSolicitation(ns(ROUTER_LL), nsMeta(ROUTER_LL), binding6({ subnet6: undefined, gateway6: undefined }), s, SERVER_MAC).kind).toBe('reply');
  });

  it('another SUBNET6 address with proxy_subnet: O=0 (RFC 4861 §7.2.8), from the target; not without proxy_subnet', () => {
    const t = '2001:db8:10::99';
    const r = na(respondNeighborSolicitation(ns(t), nsMeta(t), b, s, SERVER_MAC));
    expect(r.target).toBe('proxied');
    expect(ipv6Text(r.srcIp)).toBe(t);
    expect(r.message).toMatchObject(decodedAddresses({ router: true, solicited: true, override: false, target: t }));
    expect(respondNeighborSolicitation(ns(t), nsMeta(t), b, ipv6Settings({ proxySubnet: false }), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'not-ours' });
    // GATEWAY6 and the router link-local are answered without proxy_subnet too.
    expect(respondNeighborSolicitation(ns(GATEWAY), nsMeta(GATEWAY), b, ipv6Settings({ proxySubnet: false }), SERVER_MAC).kind).toBe('reply');
  });

  it('unicast NS (neighbour unreachability detection) is answered too', () => {
    const r = na(respondNeighborSolicitation(ns(GATEWAY, []), meta({ dst: GATEWAY }), b, s, SERVER_MAC));
    expect(r).toMatchObject(decodedAddresses({ dstIp: VM_LL, dstMac: VM_MAC }));
  });

  it('a random-IID guest (source not EUI-64 of any MAC) gets its answer at the frame’s source MAC', () => {
    const guest = binding6({ mac: '52:54:00:9a:bc:de', eui64: undefined });
    const m = nsMeta(GATEWAY, { srcMac: '52:54:00:9a:bc:de', src: '2001:db8:10::1c2b:7a9e:4d3f:8a61' });
    expect(na(respondNeighborSolicitation(ns(GATEWAY, []), m, guest, s, SERVER_MAC))).toMatchObject(decodedAddresses({
      dstIp: '2001:db8:10::1c2b:7a9e:4d3f:8a61',
      dstMac: '52:54:00:9a:bc:de',
    }));
  });

  it.each([
    ['the VM’s own EUI64', ns(VM_EUI64), nsMeta(VM_EUI64), 'vm-address'],
    ['the VM’s own EUI64, even from another of its addresses', ns(VM_EUI64), nsMeta(VM_EUI64, { src: '2001:db8:10::1c2b:7a9e:4d3f:8a61' }), 'vm-address'],
    ['DAD for GATEWAY6 (source ::)', ns(GATEWAY, []), nsMeta(GATEWAY, { src: '::' }), 'duplicate-address-detection'],
    ['DAD for a random-IID address', ns('2001:db8:10::1c2b:7a9e:4d3f:8a61', []), nsMeta('2001:db8:10::1c2b:7a9e:4d3f:8a61', { src: '::' }), 'duplicate-address-detection'],
    ['DAD for the VM’s EUI64', ns(VM_EUI64, []), nsMeta(VM_EUI64, { src: '::' }), 'duplicate-address-detection'],
    ['the guest probing its own address (source = target)', ns('2001:db8:10::1c2b:7a9e:4d3f:8a61'), nsMeta('2001:db8:10::1c2b:7a9e:4d3f:8a61', { src: '2001:db8:10::1c2b:7a9e:4d3f:8a61' }), 'self-solicitation'],
    ['an address outside SUBNET6', ns('2001:db8:11::1'), nsMeta('2001:db8:11::1'), 'not-ours'],
    ['another link-local address', ns('fe80::1'), nsMeta('fe80::1'), 'not-ours'],
    ['the VM’s own link-local', ns(VM_LL), nsMeta(VM_LL, { src: 'fe80::1234' }), 'not-ours'],
    ['hop limit 254 (RFC 4861 §7.1.1)', ns(GATEWAY), nsMeta(GATEWAY, { hopLimit: 254 }), 'bad-hop-limit'],
    ['code 1', { ...ns(GATEWAY), code: 1 }, nsMeta(GATEWAY), 'bad-code'],
    ['a multicast target', ns('ff02::1'), nsMeta('ff02::1'), 'multicast-target'],
    ['an unparsable target', ns('nope'), nsMeta(GATEWAY), 'bad-target'],
    ['a multicast source', ns(GATEWAY), nsMeta(GATEWAY, { src: 'ff02::1' }), 'bad-source'],
    ['a multicast destination that is not the target’s solicited-node group', ns(GATEWAY), nsMeta(GATEWAY, { dst: 'ff02::1' }), 'bad-destination'],
  ])('drops: %s', (_name, msg, m, reason) => {
    expect(respondNeighborSolicitation(msg, m, binding6(), s, SERVER_MAC)).toEqual({ kind: 'drop', reason });
  });

  it('drops everything when IPv6 is off', () => {
    expect(respondNeighborSolicitation(ns(GATEWAY), nsMeta(GATEWAY), b, ipv6Settings({ enable: false }), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'ipv6-disabled' });
  });

  it('a binding without EUI64 or GATEWAY6 still protects nothing it does not know, and answers the subnet when proxying', () => {
    const bare = binding6({ eui64: undefined, gateway6: undefined });
    expect(na(respondNeighborSolicitation(ns(GATEWAY), nsMeta(GATEWAY), bare, s, SERVER_MAC)).target).toBe('proxied');
    expect(respondNeighborSolicitation(ns(GATEWAY), nsMeta(GATEWAY), bare, ipv6Settings({ proxySubnet: false }), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'not-ours' });
  });
});

describe('NS captured from ndisc6 (test/fixtures)', () => {
  it('ndisc6-ns-global.pcap: NS for 2001:db8:10::1 from the VM link-local gets the gateway NA from the target itself', () => {
    const d = decodeNdpFrame(fixtureFrame('ndisc6-ns-global.pcap'));
    if (!d.ok) throw new Error(d.error.toString());
    expect(d.value.frame).toMatchObject(decodedAddresses({ srcMac: VM_MAC, src: VM_LL, dst: 'ff02::1:ff00:1', hopLimit: 255 }));
    expect(d.value.message).toEqual(ns(GATEWAY));
    const r = na(respondNeighborSolicitation(d.value.message as NeighborSolicitation, d.value.frame, binding6(), ipv6Settings(), SERVER_MAC));
    // ndisc6 ignores an NA for a global target from a link-local source (client-quirks.md).
    expect(r).toMatchObject(decodedAddresses({ srcIp: GATEWAY, dstIp: VM_LL, dstMac: VM_MAC, target: 'gateway' }));
    const f = ndpReplyFrame(r, SERVER_MAC);
    expect(f.ok && decodeNdpFrame(f.frame).ok).toBe(true);
  });

  it('ndisc6-ns-router-ll.pcap: NS for fe80::1 is answered only where fe80::1 is ours (GATEWAY6)', () => {
    const d = decodeNdpFrame(fixtureFrame('ndisc6-ns-router-ll.pcap'));
    if (!d.ok) throw new Error(d.error.toString());
    const m = d.value.message as NeighborSolicitation;
    expect(formatIpv6Address(m.target)).toBe('fe80::1');
    // The router link-local onlinkd speaks from is an EUI-64 address, never fe80::1 ...
    expect(respondNeighborSolicitation(m, d.value.frame, binding6(), ipv6Settings(), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'not-ours' });
    // ... unless the binding names fe80::1 as its gateway.
    const r = na(respondNeighborSolicitation(m, d.value.frame, binding6({ gateway6: 'fe80::1' }), ipv6Settings(), SERVER_MAC));
    expect(r).toMatchObject(decodedAddresses({ srcIp: 'fe80::1', dstIp: VM_LL, dstMac: VM_MAC, target: 'gateway' }));
  });
});
