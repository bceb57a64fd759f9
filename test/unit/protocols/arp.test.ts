import { describe, expect, it } from 'vitest';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import type { Binding } from '../../../src/bindings/binding.js';
import {
  arpReplyFrame,
  arpResponderEnabled,
  isLinkLocalServiceAddress,
  respondArp,
  type ArpDecision,
  type ArpFrameMeta,
  type ArpSettings,
} from '../../../src/protocols/arp.js';
import { decodeArpFrame, type ArpPacket, type ArpPacketSpec } from '../../../src/wire/arp.js';
import { decodedAddresses, hex, mac48, toHex, value } from '../wire/helpers.js';
import { VM_MAC, binding6 } from './ipv6-helpers.js';

const SERVER_MAC = 'fe:00:00:00:00:10';
const VM_IP = '203.0.113.10';
const GATEWAY = '203.0.113.1';
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

const on = (over: Partial<ArpSettings> = {}): ArpSettings => ({ responder: true, addresses: ['169.254.0.0/16'], ...over });

/** Frames written with text addresses, handed to the responder as the decoder gives them (numbers). */
type MetaText = { srcMac: string; dstMac: string };

function request(targetIp: string, over: Partial<ArpPacketSpec> = {}): ArpPacket {
  return decodedAddresses({ op: 1, senderMac: VM_MAC, senderIp: VM_IP, targetMac: '00:00:00:00:00:00', targetIp, ...over }) as ArpPacket;
}

const meta = (over: Partial<MetaText> = {}): ArpFrameMeta => decodedAddresses({ srcMac: VM_MAC, dstMac: BROADCAST, ...over }) as unknown as ArpFrameMeta;

function decide(
  targetIp: string,
  o: { arp?: Partial<ArpPacketSpec>; meta?: Partial<MetaText>; binding?: Partial<Binding>; settings?: Partial<ArpSettings> } = {},
): ArpDecision {
  return respondArp(request(targetIp, o.arp), meta(o.meta), binding6(o.binding), on(o.settings), mac48(SERVER_MAC));
}

const reason = (d: ArpDecision) => (d.kind === 'drop' ? d.reason : `reply:${d.target}`);

describe('ARP responder decisions', () => {
  it.each<[string, string, Parameters<typeof decide>[1], string]>([
    ['gateway', GATEWAY, {}, 'reply:gateway'],
    ['metadata, addresses = 169.254.0.0/16', '169.254.169.254', {}, 'reply:link-local'],
    ['link-local with a unicast refresh to the server MAC', '169.254.169.254', { meta: { dstMac: SERVER_MAC } }, 'reply:link-local'],
    ['an address listed singly', '169.254.169.254', { settings: { addresses: ['169.254.169.254'] } }, 'reply:link-local'],
    ['an address outside the configured list', '169.254.169.253', { settings: { addresses: ['169.254.169.254', '169.254.1.0/24'] } }, 'not-ours'],
    ['a prefix entry matches inside', '169.254.1.77', { settings: { addresses: ['169.254.169.254', '169.254.1.0/24'] } }, 'reply:link-local'],
    ['no link-local addresses configured', '169.254.169.254', { settings: { addresses: [] } }, 'not-ours'],
    ['the link-local broadcast', '169.254.255.255', {}, 'not-ours'],
    ['another guest on the subnet', '203.0.113.11', {}, 'not-ours'],
    ['off-link address', '8.8.8.8', {}, 'not-ours'],
    ['probe (SPA 0.0.0.0, RFC 5227)', GATEWAY, { arp: { senderIp: '0.0.0.0' } }, 'probe'],
    ['probe for its own address', VM_IP, { arp: { senderIp: '0.0.0.0' } }, 'probe'],
    ['announcement (SPA = TPA)', VM_IP, { arp: { senderIp: VM_IP } }, 'announcement'],
    ['announcement claiming the gateway', GATEWAY, { arp: { senderIp: GATEWAY } }, 'announcement'],
    ['own address', VM_IP, { arp: { senderIp: '203.0.113.99' } }, 'own-address'],
    ['reply (op 2)', GATEWAY, { arp: { op: 2 } }, 'not-request'],
    ['other operation', GATEWAY, { arp: { op: 8 } }, 'not-request'],
    ['foreign SHA (and Ethernet source)', GATEWAY, { arp: { senderMac: 'aa:00:00:00:00:99' }, meta: { srcMac: 'aa:00:00:00:00:99' } }, 'foreign-source-mac'],
    ['foreign SHA, own Ethernet source', GATEWAY, { arp: { senderMac: 'aa:00:00:00:00:99' } }, 'sender-mac-mismatch'],
    ['own SHA, foreign Ethernet source', GATEWAY, { meta: { srcMac: 'aa:00:00:00:00:99' } }, 'foreign-source-mac'],
    [
      'foreign SHA with MACSPOOF',
      GATEWAY,
      { arp: { senderMac: 'aa:00:00:00:00:99' }, meta: { srcMac: 'aa:00:00:00:00:99' }, binding: { macspoof: true } },
      'reply:gateway',
    ],
    ['MACSPOOF still needs SHA = Ethernet source', GATEWAY, { meta: { srcMac: 'aa:00:00:00:00:99' }, binding: { macspoof: true } }, 'sender-mac-mismatch'],
    [
      'group SHA with MACSPOOF',
      GATEWAY,
      { arp: { senderMac: '01:00:5e:00:00:01' }, meta: { srcMac: '01:00:5e:00:00:01' }, binding: { macspoof: true } },
      'bad-sender-mac',
    ],
    ['unicast to another MAC', GATEWAY, { meta: { dstMac: '02:00:00:00:00:99' } }, 'other-destination'],
    ['multicast SPA', GATEWAY, { arp: { senderIp: '224.0.0.1' } }, 'bad-sender-ip'],
    ['broadcast SPA', GATEWAY, { arp: { senderIp: '255.255.255.255' } }, 'bad-sender-ip'],
    ['a secondary address of the guest as SPA', GATEWAY, { arp: { senderIp: '198.51.100.7' } }, 'reply:gateway'],
    ['gateway on a PRIVATE network', GATEWAY, { binding: { private: true } }, 'not-ours'],
    ['link-local on a PRIVATE network', '169.254.169.254', { binding: { private: true } }, 'reply:link-local'],
    ['no gateway in the binding', GATEWAY, { binding: { gateway: undefined } }, 'not-ours'],
    ['responder off', GATEWAY, { settings: { responder: false } }, 'responder-disabled'],
    ['responder off, ARP_RESPONDER=yes', GATEWAY, { settings: { responder: false }, binding: { arpResponder: true } }, 'reply:gateway'],
    ['responder on, ARP_RESPONDER=no', GATEWAY, { binding: { arpResponder: false } }, 'responder-disabled'],
    ['responder on, ARP_RESPONDER empty', GATEWAY, { binding: { arpResponder: undefined } }, 'reply:gateway'],
  ])('%s', (_name, target, o, expected) => {
    expect(reason(decide(target, o))).toBe(expected);
  });

  it('reply: unicast to the requester from the INDEV MAC, SPA = asked address, THA/TPA = requester', () => {
    const d = decide('169.254.169.254');
    if (d.kind !== 'reply') throw new Error(JSON.stringify(d));
    expect(d.reply).toEqual({
      dstMac: mac48(VM_MAC),
      arp: decodedAddresses({ op: 2, senderMac: SERVER_MAC, senderIp: '169.254.169.254', targetMac: VM_MAC, targetIp: VM_IP }),
    });
  });

  it('reply frame, byte for byte (scapy: Ether(dst=VM, src=TAP)/ARP(op=2, hwsrc=TAP, psrc=GW, hwdst=VM, pdst=VM_IP))', () => {
    const d = decide(GATEWAY);
    if (d.kind !== 'reply') throw new Error(JSON.stringify(d));
    const f = arpReplyFrame(d.reply, SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(toHex(f.frame)).toBe(
      toHex(hex`
        aa 00 00 00 00 10  fe 00 00 00 00 10  08 06   # to the VM, from the tap, ARP
        00 01 08 00 06 04  00 02                      # Ethernet/IPv4, reply
        fe 00 00 00 00 10  cb 00 71 01                # SHA tap, SPA gateway
        aa 00 00 00 00 10  cb 00 71 0a                # THA VM, TPA VM
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`),
    );
    expect(value(decodeArpFrame(f.frame))).toMatchObject(decodedAddresses({ srcMac: SERVER_MAC, dstMac: VM_MAC, op: 2 }));
  });

  it('a reply frame with a bad server MAC is an error, not a throw', () => {
    const d = decide(GATEWAY);
    if (d.kind !== 'reply') throw new Error('reply');
    expect(arpReplyFrame(d.reply, 'nope').ok).toBe(false);
  });
});

describe('link-local service addresses', () => {
  it('matches addresses and prefixes inside 169.254.0.0/16, host bits of an entry ignored', () => {
    expect(isLinkLocalServiceAddress('169.254.169.254', ['169.254.0.0/16'])).toBe(true);
    expect(isLinkLocalServiceAddress(0xa9fea9fe, ['169.254.0.0/16'])).toBe(true); // decoded: 169.254.169.254 as uint32
    expect(isLinkLocalServiceAddress('169.254.0.1', ['169.254.169.254/16'])).toBe(true);
    expect(isLinkLocalServiceAddress('169.254.169.254', ['169.254.169.254/32'])).toBe(true);
    expect(isLinkLocalServiceAddress('169.254.169.255', ['169.254.169.254'])).toBe(false);
    expect(isLinkLocalServiceAddress('169.254.255.255', ['169.254.0.0/16', '169.254.255.255'])).toBe(false);
  });

  it('never matches outside 169.254.0.0/16, nor with malformed entries', () => {
    expect(isLinkLocalServiceAddress('10.0.0.1', ['10.0.0.0/8'])).toBe(false);
    expect(isLinkLocalServiceAddress('169.253.1.1', ['169.254.0.0/15'])).toBe(false);
    expect(isLinkLocalServiceAddress('169.254.1.1', ['169.254.0.0/8', '169.254.1.1/33', 'x', '169.254.1.1/'])).toBe(false);
    expect(isLinkLocalServiceAddress('not an address', ['169.254.0.0/16'])).toBe(false);
  });
});

describe('ARP_RESPONDER binding key', () => {
  it('is read from a parsed binding file (a typed key)', () => {
    const parse = (text: string) => {
      const r = parseBindingFile('tap10', `MAC=${VM_MAC}\nIP=${VM_IP}\nSUBNET=203.0.113.0/24\n${text}`);
      if (!r.ok) throw new Error(r.error.message);
      return r.binding;
    };
    expect(arpResponderEnabled(parse('ARP_RESPONDER=yes'), { responder: false })).toBe(true);
    expect(arpResponderEnabled(parse('ARP_RESPONDER=1'), { responder: false })).toBe(true);
    expect(arpResponderEnabled(parse('ARP_RESPONDER=off'), { responder: true })).toBe(false);
    expect(arpResponderEnabled(parse('ARP_RESPONDER=""'), { responder: true })).toBe(true);
    expect(arpResponderEnabled(parse(''), { responder: false })).toBe(false);
    expect(arpResponderEnabled(parse(''), { responder: true })).toBe(true);
  });
});
