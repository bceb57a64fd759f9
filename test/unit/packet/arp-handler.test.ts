import { describe, expect, it } from 'vitest';
import { pathRig } from '../../helpers/path-rig.js';
import { arpOpName } from '../../../src/packet/arp-handler.js';
import { buildArpFrame, decodeArpFrame, type ArpFrameSpec } from '../../../src/wire/arp.js';
import { numberToIpv4 } from '../../../src/wire/addr.js';
import { decodedAddresses } from '../wire/helpers.js';

const VM_MAC = 'aa:00:00:00:00:10';
const TAP_MAC = 'fe:00:00:00:00:10';
const VM_IP = '203.0.113.10';
const GATEWAY = '203.0.113.1';

function setup(o: { responder?: boolean; bindingExtra?: string } = {}) {
  const rig = pathRig({ arp: { responder: o.responder ?? true } });
  rig.addTap('tap10', 7, TAP_MAC, `MAC=${VM_MAC}\nIP=${VM_IP}\nSUBNET=203.0.113.0/24\nGATEWAY=${GATEWAY}\n${o.bindingExtra ?? ''}`);
  const counters = () => rig.stats.tap('tap10')!;
  return { ...rig, counters };
}

function arp(targetIp: string, over: Partial<ArpFrameSpec> = {}): Uint8Array {
  return buildArpFrame({
    srcMac: VM_MAC,
    dstMac: 'ff:ff:ff:ff:ff:ff',
    op: 1,
    senderMac: VM_MAC,
    senderIp: VM_IP,
    targetMac: '00:00:00:00:00:00',
    targetIp,
    ...over,
  });
}

const rx = (data: Uint8Array) => ({ ifindex: 7, data, checksumNotReady: false });

describe('ARP on the packet path', () => {
  it('is off by default: counts the request, drops it, sends nothing', () => {
    const { path, sent, counters } = setup({ responder: false });
    path.handle(rx(arp(GATEWAY)));
    expect(sent).toHaveLength(0);
    expect(counters().requests).toEqual({ 'arp-request': 1 });
    expect(counters().drops).toEqual({ 'arp-responder-disabled': 1 });
    expect(counters().lastSeen).toBe(new Date(0).toISOString());
  });

  it('answers the gateway with a unicast reply from the tap MAC, on the same ifindex', () => {
    const { path, sent, counters } = setup();
    path.handle(rx(arp(GATEWAY)));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.ifindex).toBe(7);
    expect(sent[0]!.frame.length).toBe(60);
    const f = decodeArpFrame(sent[0]!.frame);
    if (!f.ok) throw new Error(f.error.toString());
    expect(f.value).toEqual(decodedAddresses({
      srcMac: TAP_MAC,
      dstMac: VM_MAC,
      op: 2,
      senderMac: TAP_MAC,
      senderIp: GATEWAY,
      targetMac: VM_MAC,
      targetIp: VM_IP,
    }));
    expect(counters()).toMatchObject({ requests: { 'arp-request': 1 }, replies: { 'arp-reply': 1 }, drops: {} });
  });

  it('answers 169.254.169.254 (Windows metadata) with the default addresses, also an unpadded 42-octet request', () => {
    const { path, sent } = setup();
    path.handle(rx(arp('169.254.169.254').subarray(0, 42)));
    expect(sent).toHaveLength(1);
    const f = decodeArpFrame(sent[0]!.frame);
    expect(f.ok && numberToIpv4(f.value.senderIp)).toBe('169.254.169.254');
  });

  it('ARP_RESPONDER=yes in the binding file turns it on for that tap only', () => {
    const { path, sent } = setup({ responder: false, bindingExtra: 'ARP_RESPONDER=yes\n' });
    path.handle(rx(arp(GATEWAY)));
    expect(sent).toHaveLength(1);
  });

  it('counts received replies and other operations by name and never answers them', () => {
    const { path, sent, counters } = setup();
    path.handle(rx(arp(GATEWAY, { op: 2, dstMac: TAP_MAC, targetMac: TAP_MAC })));
    path.handle(rx(arp(GATEWAY, { op: 8 })));
    expect(sent).toHaveLength(0);
    expect(counters().requests).toEqual({ 'arp-reply': 1, 'arp-op-other': 1 });
    expect(counters().drops).toEqual({ 'arp-not-request': 2 });
  });

  it('drops probes, announcements, its own address, foreign MACs and other targets, each with its counter', () => {
    const { path, sent, counters } = setup();
    path.handle(rx(arp(VM_IP, { senderIp: '0.0.0.0' })));
    path.handle(rx(arp(VM_IP)));
    path.handle(rx(arp(VM_IP, { senderIp: '203.0.113.99' })));
    path.handle(rx(arp(GATEWAY, { srcMac: 'aa:00:00:00:00:99', senderMac: 'aa:00:00:00:00:99' })));
    path.handle(rx(arp(GATEWAY, { senderMac: 'aa:00:00:00:00:99' })));
    path.handle(rx(arp('203.0.113.11')));
    expect(sent).toHaveLength(0);
    expect(counters().drops).toEqual({
      'arp-probe': 1,
      'arp-announcement': 1,
      'arp-own-address': 1,
      'foreign-source-mac': 1,
      'arp-sender-mac-mismatch': 1,
      'arp-not-ours': 1,
    });
    // The guard's drop keeps the name the other paths use, and is not counted as a request.
    expect(counters().requests).toEqual({ 'arp-request': 5 });
  });

  it('counts undecodable ARP by layer and reason', () => {
    const { path, counters } = setup();
    const bad = arp(GATEWAY);
    bad[14 + 4] = 8; // hlen 8
    path.handle(rx(bad));
    path.handle(rx(arp(GATEWAY).subarray(0, 30)));
    expect(counters().drops).toEqual({ 'decode-arp-bad-hlen': 1, 'decode-arp-truncated': 1 });
  });

  it('cannot answer without the INDEV MAC: counted as indev-missing', () => {
    const { path, sent, counters } = setup({ bindingExtra: 'INDEV=br-missing\n' });
    path.handle(rx(arp(GATEWAY)));
    expect(sent).toHaveLength(0);
    expect(counters().drops).toEqual({ 'indev-missing': 1 });
  });

  it('names operations for the counters', () => {
    expect([1, 2, 3, 0].map(arpOpName)).toEqual(['arp-request', 'arp-reply', 'arp-op-other', 'arp-op-other']);
  });
});
