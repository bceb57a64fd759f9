/**
 * The uplink socket's receive filter (src/io/bpf-uplink.ts), run by the
 * interpreter of io/bpf.ts (a load past the end rejects, as in the kernel):
 * ARP requests and NSs in, everything else an uplink carries out.
 */
import { describe, expect, it } from 'vitest';
import { ACCEPT, BPF, decode, runFilter } from '../../../src/io/bpf.js';
import { uplinkFilter, uplinkProgram } from '../../../src/io/bpf-uplink.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMPV6, IPPROTO_UDP, arpRequest, dhcp4Frame, eth, ext6, icmp6, ipv4, ipv6, udp, vlanTagged } from './frames.js';

const program = uplinkFilter();
const verdict = (frame: Uint8Array): number => runFilter(program, frame);
const accepts = (frame: Uint8Array): boolean => verdict(frame) > 0;

const arp = (op: number): Buffer => {
  const p = arpRequest();
  p[7] = op;
  return eth(ETH_P_ARP, p);
};
const nd = (type: number, body?: number[]): Buffer => eth(ETH_P_IPV6, ipv6(IPPROTO_ICMPV6, icmp6(type, body)));

describe('uplink BPF filter', () => {
  it('is a valid program for the kernel: forward jumps, ends in ret, encoded once', () => {
    const insns = uplinkProgram();
    expect(insns.at(-1)!.code & 0x07).toBe(BPF.RET);
    expect(decode(program)).toEqual(insns);
    expect(uplinkFilter()).toBe(program);
  });

  it('accepts the real senders\' ARP requests and NSs whole (accept length, not a prefix)', () => {
    for (const name of ['linux-router-arp-request', 'linux-router-arp-probe', 'arping-request', 'linux-router-ns', 'linux-router-ns-unicast', 'ndisc6-ns-global']) {
      expect(verdict(fixtureFrame(name)), name).toBe(ACCEPT);
    }
  });

  it('ARP: accepts a request, rejects a reply and other operations', () => {
    expect(accepts(arp(1))).toBe(true);
    expect(accepts(arp(2))).toBe(false);
    expect(accepts(arp(3))).toBe(false); // RARP request
    const highByte = arp(1);
    highByte[14 + 6] = 1; // op 0x0101
    expect(accepts(highByte)).toBe(false);
  });

  it('ICMPv6: accepts NS (135); rejects NA, RS, RA, redirect and echo', () => {
    expect(accepts(nd(135, new Array(20).fill(0)))).toBe(true);
    for (const t of [136, 133, 134, 137, 128, 129]) expect(accepts(nd(t)), `type ${t}`).toBe(false);
    expect(accepts(fixtureFrame('rdisc6-rs'))).toBe(false);
  });

  it('rejects an NS behind an extension header (RFC 4861 §7.1.1 gives it none)', () => {
    expect(accepts(eth(ETH_P_IPV6, ipv6(0, ext6(IPPROTO_ICMPV6, icmp6(135)))))).toBe(false);
  });

  it('rejects DHCP of both families, other IPv4 and IPv6 traffic, and other ethertypes', () => {
    expect(accepts(dhcp4Frame(67))).toBe(false);
    expect(accepts(dhcp4Frame(68))).toBe(false);
    expect(accepts(fixtureFrame('dhclient-discover'))).toBe(false);
    expect(accepts(fixtureFrame('dhclient6-solicit-na'))).toBe(false);
    expect(accepts(eth(ETH_P_IPV6, ipv6(IPPROTO_UDP, udp(546, 547, [1, 0, 0, 1]))))).toBe(false);
    // IPv4 whose byte at the NS type's offset is 135 and whose protocol byte is 58: still not IPv6.
    const v4 = eth(ETH_P_IP, ipv4(udp(1, 2, new Array(40).fill(135)), { protocol: 58 }));
    expect(accepts(v4)).toBe(false);
    expect(accepts(eth(0x88cc, new Array(46).fill(0)))).toBe(false); // LLDP
  });

  it('rejects a frame tagged in-band (the kernel strips the uplink\'s own tags before the filter)', () => {
    expect(accepts(vlanTagged(arp(1), 5))).toBe(false);
    expect(accepts(vlanTagged(nd(135, new Array(20).fill(0)), 5))).toBe(false);
  });

  it('rejects frames too short to hold what it reads', () => {
    const ns = fixtureFrame('linux-router-ns');
    const req = fixtureFrame('linux-router-arp-request');
    for (const n of [0, 1, 12, 13, 14, 20, 21]) expect(accepts(req.subarray(0, n)), `ARP ${n} B`).toBe(false);
    expect(accepts(req.subarray(0, 22))).toBe(true); // the op is all it reads: the responder checks the rest
    for (const n of [0, 13, 14, 20, 21, 54]) expect(accepts(ns.subarray(0, n)), `NS ${n} B`).toBe(false);
    expect(accepts(ns.subarray(0, 55))).toBe(true);
  });
});
