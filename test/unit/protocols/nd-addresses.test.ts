/** Issue 14, item 4: `[nd] addresses`, the IPv6 twin of `[arp] addresses`. */
import { describe, expect, it } from 'vitest';
import { ndAddresses } from '../../../src/config/nd-values.js';
import { parseConfig } from '../../../src/config/config.js';
import { respondNeighborSolicitation } from '../../../src/protocols/neighbor.js';
import { ipv6Text } from '../../../src/wire/ipv6-address.js';
import { solicitedNodeAddress } from '../../../src/wire/ipv6-derive.js';
import type { NeighborAdvertisement, NeighborSolicitation } from '../../../src/wire/ndp.js';
import { SERVER_MAC, VM_LL, VM_MAC, binding6, ipv6Settings, meta, octets } from './ipv6-helpers.js';

const METADATA = 'fe80::a9fe:a9fe';
const ND = ['fe80::a9fe:a9fe', 'fe80::53'];
const ns = (target: string): NeighborSolicitation => ({ type: 135, code: 0, target: octets(target), options: [{ kind: 'source-link-layer', mac: VM_MAC }] });

describe('[nd] addresses', () => {
  it("an NS for a listed address gets an NA with the INDEV MAC, from the address, R=0 S=1 O=1", () => {
    const d = respondNeighborSolicitation(ns(METADATA), meta({ dst: solicitedNodeAddress(METADATA) }), binding6(), ipv6Settings(), SERVER_MAC, ND);
    if (d.kind !== 'reply') throw new Error(JSON.stringify(d));
    expect(d.target).toBe('link-local-service');
    const m = d.reply.message as NeighborAdvertisement;
    expect([m.router, m.solicited, m.override]).toEqual([false, true, true]);
    expect(m.options).toEqual([{ kind: 'target-link-layer', mac: SERVER_MAC }]);
    expect(ipv6Text(d.reply.srcIp)).toBe(METADATA);
    expect(ipv6Text(d.reply.dstIp)).toBe(VM_LL);
  });

  it('on any bound tap, with or without IPv6 keys in its binding', () => {
    const d = respondNeighborSolicitation(ns('fe80::53'), meta({ dst: solicitedNodeAddress('fe80::53') }), binding6({ subnet6: undefined, gateway6: undefined, eui64: undefined }), ipv6Settings(), SERVER_MAC, ND);
    expect(d.kind).toBe('reply');
  });

  it('never for DAD (source ::), and not for an address not listed', () => {
    expect(respondNeighborSolicitation(ns(METADATA), meta({ src: '::', dst: solicitedNodeAddress(METADATA) }), binding6(), ipv6Settings(), SERVER_MAC, ND)).toEqual({
      kind: 'drop', reason: 'duplicate-address-detection',
    });
    expect(respondNeighborSolicitation(ns('fe80::a9fe:a9ff'), meta({ dst: solicitedNodeAddress('fe80::a9fe:a9ff') }), binding6(), ipv6Settings(), SERVER_MAC, ND)).toEqual({ kind: 'drop', reason: 'not-ours' });
    // Not listed: unanswered, as before the key existed.
    expect(respondNeighborSolicitation(ns(METADATA), meta({ dst: solicitedNodeAddress(METADATA) }), binding6(), ipv6Settings(), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'not-ours' });
    // Nor when IPv6 is off.
    expect(respondNeighborSolicitation(ns(METADATA), meta({ dst: solicitedNodeAddress(METADATA) }), binding6(), ipv6Settings({ enable: false }), SERVER_MAC, ND).kind).toBe('drop');
  });

  it('the key: link-local addresses only, canonical, with file:line on error', () => {
    expect(ndAddresses('FE80::A9FE:A9FE, fe80::53 fe80::a9fe:a9fe')).toEqual(['fe80::a9fe:a9fe', 'fe80::53']);
    expect(ndAddresses('')).toEqual([]);
    expect(() => ndAddresses('2001:db8::1')).toThrow(/not a link-local IPv6 address/);
    expect(() => ndAddresses('169.254.169.254')).toThrow(/not a link-local/);
    expect(parseConfig('[nd]\naddresses = fe80::a9fe:a9fe\n', 'x.conf').nd.addresses).toEqual(['fe80::a9fe:a9fe']);
    expect(() => parseConfig('[nd]\naddresses = ff02::1\n', 'x.conf')).toThrow(/x\.conf:2.*addresses/);
  });
});
