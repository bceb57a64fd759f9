import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import { defaultSettings } from '../../../src/config/config.js';
import { testBinding } from '../../helpers/binding.js';
import { classlessRoutes, respondDhcp4, serverIdentifier, type Dhcp4Decision } from '../../../src/protocols/dhcp4.js';
import { DHCP4_BROADCAST_FLAG, type Dhcp4Message, type Dhcp4MessageSpec } from '../../../src/wire/dhcp4-types.js';
import { decodedAddresses, dhcp4Decoded, ip4, mac48 } from '../wire/helpers.js';

const MAC = 'aa:00:00:00:00:10';
/** The MAC as the decoder gives it: what the responder is handed. */
const MAC48 = mac48(MAC);

const binding = testBinding;

function settings(over: Partial<ReturnType<typeof defaultSettings>['dhcp']> = {}) {
  const s = defaultSettings().dhcp;
  return { ...s, leaseRebinding: 529200, nameservers: ['198.51.100.53', '198.51.100.54'], domain: 'example.org', ...over };
}

const bytes = (...b: number[]) => Uint8Array.from(b);
const ip = (s: string) => bytes(...s.split('.').map(Number));

/** A request as decodeDhcp4 gives it, written with text addresses. */
function request(type: number, opts: Array<[number, Uint8Array]> = [], over: Partial<Dhcp4MessageSpec> = {}): Dhcp4Message {
  return dhcp4Decoded({
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x12345678, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: MAC, sname: '', file: '', options: [[53, bytes(type)], ...opts], ...over,
  });
}

function reply(d: Dhcp4Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d.reply;
}

const opt = (m: Dhcp4Message, code: number) => m.options.find(([c]) => c === code)?.[1];
const codes = (m: Dhcp4Message) => m.options.map(([c]) => c);

describe('DHCPv4 responder', () => {
  it('re-encodes a binding\'s options when the settings or the client kind change (encoded-option cache)', () => {
    const b = binding();
    const s1 = settings();
    const first = reply(respondDhcp4(request(1, [[55, bytes(121)]]), b, s1, MAC48)).message;
    expect(opt(first, 6)).toEqual(bytes(198, 51, 100, 53, 198, 51, 100, 54));
    // A reload gives a new settings object: its values, not the cached ones, go out.
    const s2 = settings({ nameservers: ['198.51.100.99'], leaseLifetime: 60 });
    const second = reply(respondDhcp4(request(1, [[55, bytes(121)]]), b, s2, MAC48)).message;
    expect(opt(second, 6)).toEqual(ip('198.51.100.99'));
    expect(opt(second, 51)).toEqual(bytes(0, 0, 0, 60));
    // The same binding and settings for a Windows client: 169.254.0.0/16 is added, then gone again for Linux.
    const win = reply(respondDhcp4(request(1, [[60, Buffer.from('MSFT 5.0')], [55, bytes(121)]]), b, s2, MAC48)).message;
    expect(opt(win, 121)).toEqual(bytes(16, 169, 254, 203, 0, 113, 1, 0, 203, 0, 113, 1));
    expect(opt(win, 249)).toEqual(opt(win, 121));
    const linux = reply(respondDhcp4(request(1, [[55, bytes(121)]]), b, s2, MAC48)).message;
    expect(opt(linux, 121)).toEqual(bytes(0, 203, 0, 113, 1));
    expect(opt(linux, 249)).toBeUndefined();
    // And the message type of each reply is its own, though the octet is shared.
    const ack = reply(respondDhcp4(request(3, [[50, ip('203.0.113.10')], [54, ip('203.0.113.1')]]), b, s2, MAC48)).message;
    expect(opt(ack, 53)).toEqual(bytes(5));
    expect(opt(first, 53)).toEqual(bytes(2));
  });

  it('answers DISCOVER with an OFFER of the bound address and the full configuration', () => {
    const r = reply(respondDhcp4(request(1, [[55, bytes(1, 3, 6, 15, 12, 28)]]), binding(), settings(), MAC48));
    expect(r.type).toBe(2);
    expect(r.message).toMatchObject(decodedAddresses({ op: 2, xid: 0x12345678, yiaddr: '203.0.113.10', chaddr: MAC, ciaddr: '0.0.0.0' }));
    expect(opt(r.message, 53)).toEqual(bytes(2));
    expect(opt(r.message, 54)).toEqual(ip('203.0.113.1'));
    expect(opt(r.message, 1)).toEqual(ip('255.255.255.0'));
    expect(opt(r.message, 3)).toEqual(ip('203.0.113.1'));
    expect(opt(r.message, 6)).toEqual(bytes(198, 51, 100, 53, 198, 51, 100, 54));
    expect(Buffer.from(opt(r.message, 15)!).toString()).toBe('example.org');
    expect(Buffer.from(opt(r.message, 12)!).toString()).toBe('vm10');
    expect(opt(r.message, 28)).toEqual(ip('203.0.113.255'));
    expect(opt(r.message, 51)).toEqual(bytes(0, 9, 0x3a, 0x80)); // 604800
    expect(opt(r.message, 58)).toEqual(bytes(0, 0, 0x0e, 0x10)); // 3600
    expect(opt(r.message, 59)).toEqual(bytes(0, 8, 0x13, 0x30)); // 529200
    // RFC 2132 §3.3: subnet mask before router.
    expect(codes(r.message).indexOf(1)).toBeLessThan(codes(r.message).indexOf(3));
    // No MTU unless set, no routes unless asked, no 61 unless sent.
    expect(codes(r.message)).not.toContain(26);
    expect(codes(r.message)).not.toContain(121);
    expect(codes(r.message)).not.toContain(249);
    expect(codes(r.message)).not.toContain(61);
    // Unicast to yiaddr at chaddr, from the server identifier.
    expect(r).toMatchObject(decodedAddresses({ srcIp: '203.0.113.1', dstIp: '203.0.113.10', dstMac: MAC }));
  });

  it('honours the broadcast flag and echoes the client identifier (RFC 6842)', () => {
    const cid = bytes(1, 0xaa, 0, 0, 0, 0, 0x10);
    const r = reply(respondDhcp4(request(1, [[61, cid]], { flags: DHCP4_BROADCAST_FLAG }), binding(), settings(), MAC48));
    expect(r).toMatchObject(decodedAddresses({ dstIp: '255.255.255.255', dstMac: 'ff:ff:ff:ff:ff:ff' }));
    expect(r.message.flags).toBe(DHCP4_BROADCAST_FLAG);
    expect(opt(r.message, 61)).toEqual(cid);
  });

  it('sends option 121 with the default route and no link-local route to a Linux client', () => {
    const r = reply(respondDhcp4(request(1, [[55, bytes(1, 121, 3, 6)]]), binding(), settings(), MAC48));
    expect(opt(r.message, 121)).toEqual(bytes(0, 203, 0, 113, 1));
    expect(codes(r.message)).not.toContain(249);
    expect(opt(r.message, 3)).toEqual(ip('203.0.113.1')); // kept for clients without 121
  });

  it('sends 121 and 249, byte-identical, with 169.254.0.0/16 and the default route to Windows', () => {
    const win = request(1, [
      [60, new TextEncoder().encode('MSFT 5.0')],
      [55, bytes(1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252)],
    ]);
    const r = reply(respondDhcp4(win, binding(), settings(), MAC48));
    const expected = bytes(16, 169, 254, 203, 0, 113, 1, 0, 203, 0, 113, 1);
    expect(opt(r.message, 121)).toEqual(expected);
    expect(opt(r.message, 249)).toEqual(expected);
  });

  it('sends 249 to Windows even when the PRL lacks it, and to bindings flagged WINDOWS', () => {
    const xp = request(1, [[60, new TextEncoder().encode('MSFT 5.0')], [55, bytes(1, 3, 6, 15, 249)]]);
    expect(codes(reply(respondDhcp4(xp, binding(), settings(), MAC48)).message)).toContain(249);
    const flagged = reply(respondDhcp4(request(1, [[55, bytes(121)]]), binding({ windows: true }), settings(), MAC48));
    expect(opt(flagged.message, 121)?.slice(0, 3)).toEqual(bytes(16, 169, 254));
    expect(codes(flagged.message)).toContain(249);
    const off = reply(respondDhcp4(request(1, [[55, bytes(121)]]), binding({ windows: true }), settings({ windowsLinkLocalRoute: false }), MAC48));
    expect(opt(off.message, 121)).toEqual(bytes(0, 203, 0, 113, 1));
  });

  it('puts configured and per-binding extra routes before the default route', () => {
    const s = settings({ routes: [{ destination: '10.0.0.0', prefixLength: 8, router: '203.0.113.1' }] });
    const b = binding({ routes: [{ destination: '198.51.100.0', prefixLength: 24, router: '0.0.0.0' }] });
    expect(classlessRoutes(b, s, false)).toEqual([
      { destination: '10.0.0.0', prefixLength: 8, router: '203.0.113.1' },
      { destination: '198.51.100.0', prefixLength: 24, router: '0.0.0.0' },
      { destination: '0.0.0.0', prefixLength: 0, router: '203.0.113.1' },
    ]);
  });

  it('leaves out router and default route on a PRIVATE network', () => {
    const r = reply(respondDhcp4(request(1, [[55, bytes(121)]]), binding({ private: true }), settings(), MAC48));
    expect(codes(r.message)).not.toContain(3);
    expect(codes(r.message)).not.toContain(121);
    expect(opt(r.message, 54)).toEqual(ip('203.0.113.1'));
  });

  it('sends MTU and domain search when set and asked', () => {
    const r = reply(respondDhcp4(request(1, [[55, bytes(119)]]), binding({ mtu: 1450 }), settings({ domainSearch: ['a.example'] }), MAC48));
    expect(opt(r.message, 26)).toEqual(bytes(0x05, 0xaa));
    expect(opt(r.message, 119)).toEqual(bytes(1, 97, 7, ...new TextEncoder().encode('example'), 0));
  });

  describe('REQUEST (RFC 2131 §4.3.2)', () => {
    it('SELECTING: ACKs our address, NAKs another, ignores a request for another server', () => {
      const ack = reply(respondDhcp4(request(3, [[54, ip('203.0.113.1')], [50, ip('203.0.113.10')]]), binding(), settings(), MAC48));
      expect(ack.type).toBe(5);
      expect(ack.message.yiaddr).toBe(ip4('203.0.113.10'));
      const nak = reply(respondDhcp4(request(3, [[54, ip('203.0.113.1')], [50, ip('203.0.113.99')]]), binding(), settings(), MAC48));
      expect(nak.type).toBe(6);
      expect(nak).toMatchObject(decodedAddresses({ dstIp: '255.255.255.255', dstMac: 'ff:ff:ff:ff:ff:ff' }));
      expect(nak.message.yiaddr).toBe(ip4('0.0.0.0'));
      expect(codes(nak.message)).not.toContain(51);
      const other = respondDhcp4(request(3, [[54, ip('198.51.100.1')], [50, ip('203.0.113.10')]]), binding(), settings(), MAC48);
      expect(other).toMatchObject({ kind: 'drop', reason: 'other-server-selected' });
    });

    it('INIT-REBOOT: ACKs the remembered address when right, NAKs it when wrong', () => {
      expect(reply(respondDhcp4(request(3, [[50, ip('203.0.113.10')]]), binding(), settings(), MAC48)).type).toBe(5);
      expect(reply(respondDhcp4(request(3, [[50, ip('203.0.113.11')]]), binding(), settings(), MAC48)).type).toBe(6);
    });

    it('RENEWING/REBINDING: ACKs unicast to ciaddr, NAKs a foreign ciaddr', () => {
      const r = reply(respondDhcp4(request(3, [], { ciaddr: '203.0.113.10' }), binding(), settings(), MAC48));
      expect(r.type).toBe(5);
      expect(r).toMatchObject(decodedAddresses({ dstIp: '203.0.113.10', dstMac: MAC }));
      expect(r.message.ciaddr).toBe(ip4('203.0.113.10'));
      expect(reply(respondDhcp4(request(3, [], { ciaddr: '203.0.113.77' }), binding(), settings(), MAC48)).type).toBe(6);
    });

    it('drops a REQUEST with neither requested address nor ciaddr', () => {
      expect(respondDhcp4(request(3), binding(), settings(), MAC48)).toMatchObject({ kind: 'drop', reason: 'malformed-request' });
    });
  });

  it('answers INFORM with an ACK without yiaddr or lease time', () => {
    const r = reply(respondDhcp4(request(8, [], { ciaddr: '203.0.113.10' }), binding(), settings(), MAC48));
    expect(r.type).toBe(5);
    expect(r.message.yiaddr).toBe(ip4('0.0.0.0'));
    expect(codes(r.message)).not.toContain(51);
    expect(codes(r.message)).not.toContain(58);
    expect(codes(r.message)).toContain(6);
    expect(r).toMatchObject(decodedAddresses({ dstIp: '203.0.113.10' }));
  });

  it('reports RELEASE and DECLINE without replying', () => {
    expect(respondDhcp4(request(7, [], { ciaddr: '203.0.113.10' }), binding(), settings(), MAC48)).toMatchObject(decodedAddresses({ kind: 'release', address: '203.0.113.10' }));
    expect(respondDhcp4(request(4, [[50, ip('203.0.113.10')]]), binding(), settings(), MAC48)).toMatchObject(decodedAddresses({ kind: 'decline', address: '203.0.113.10' }));
  });

  it('drops replies, relayed requests, messages without type and IPv6-only bindings', () => {
    expect(respondDhcp4({ ...request(1), op: 2 }, binding(), settings(), MAC48)).toMatchObject({ kind: 'drop', reason: 'not-a-request' });
    expect(respondDhcp4(request(1, [], { giaddr: '198.51.100.1' }), binding(), settings(), MAC48)).toMatchObject({ kind: 'drop', reason: 'relayed' });
    expect(respondDhcp4({ ...request(1), options: [] }, binding(), settings(), MAC48)).toMatchObject({ kind: 'drop', reason: 'no-message-type' });
    expect(respondDhcp4(request(1), binding({ ip: undefined, subnet: undefined }), settings(), MAC48)).toMatchObject({ kind: 'drop', reason: 'no-ipv4-binding' });
  });

  it('respects the client maximum message size but never goes below 576', () => {
    expect(reply(respondDhcp4(request(1, [[57, bytes(0x05, 0xdc)]]), binding(), settings(), MAC48)).maxLength).toBe(1500);
    expect(reply(respondDhcp4(request(1, [[57, bytes(0x01, 0x00)]]), binding(), settings(), MAC48)).maxLength).toBe(576);
    expect(reply(respondDhcp4(request(1), binding(), settings(), MAC48)).maxLength).toBe(576);
    expect(reply(respondDhcp4(request(1, [[57, bytes(0x23, 0x28)]]), binding({ mtu: 1400 }), settings(), MAC48)).maxLength).toBe(1400);
  });

  it('picks an on-link server identifier', () => {
    expect(serverIdentifier(binding(), settings())).toBe(ip4('203.0.113.1'));
    expect(serverIdentifier(binding(), settings({ serverIp: '198.51.100.1' }))).toBe(ip4('198.51.100.1'));
    expect(serverIdentifier(binding(), settings({ serverIp: '198.51.100.1', serverOnLink: true }))).toBe(ip4('203.0.113.1'));
    expect(serverIdentifier(binding({ gateway: undefined }), settings())).toBe(ip4('203.0.113.1'));
    expect(serverIdentifier(binding({ gateway: undefined, ip: '203.0.113.1' }), settings())).toBe(ip4('203.0.113.2'));
  });
});
