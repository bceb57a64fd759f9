import { describe, expect, it } from 'vitest';
import { ACCEPT, Assembler, BPF, buildOnlinkFilter, decode, encode, onlinkProgram, runFilter } from '../../../src/io/bpf.js';
import {
  ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, arpRequest, dhcp4Frame, eth, ext6,
  frag6, icmp6, ipv4, ipv6, udp, vlanTagged,
} from './frames.js';

const program = buildOnlinkFilter();
const accepts = (frame: Uint8Array): boolean => runFilter(program, frame) > 0;

const IPV6_HOPOPTS = 0;
const IPV6_ROUTING = 43;
const IPV6_DSTOPTS = 60;
const IPV6_FRAGMENT = 44;

describe('onlink BPF filter', () => {
  it('is a valid program for the kernel: <= 4096 insns, forward jumps, ends in ret', () => {
    const insns = onlinkProgram();
    expect(insns.length).toBeLessThan(4096);
    expect(insns.at(-1)!.code & 0x07).toBe(BPF.RET);
    expect(decode(program)).toEqual(insns);
    expect(program.length).toBe(insns.length * 8);
  });

  it('accepts the whole frame (accept length), not a prefix', () => {
    expect(runFilter(program, dhcp4Frame())).toBe(ACCEPT);
  });

  describe('IPv4', () => {
    it('accepts UDP to port 67 (DHCP server)', () => expect(accepts(dhcp4Frame(67))).toBe(true));
    it('rejects UDP to port 68 and other ports', () => {
      expect(accepts(dhcp4Frame(68))).toBe(false);
      expect(accepts(dhcp4Frame(53))).toBe(false);
    });
    it('accepts a header with IP options (IHL-aware)', () => {
      expect(accepts(dhcp4Frame(67, [1, 2, 3, 4], { ihl: 6 }))).toBe(true);
      expect(accepts(dhcp4Frame(67, [1, 2, 3, 4], { ihl: 15 }))).toBe(true);
      // 67 at the offset a fixed 20-byte header implies must not fool it: with
      // IHL 6 the option word sits where a naive filter reads the port.
      const tricky = dhcp4Frame(68, [1, 2, 3, 4], { ihl: 6 });
      tricky.writeUInt16BE(67, 14 + 20 + 2);
      expect(runFilter(program, tricky)).toBe(0);
      expect(accepts(dhcp4Frame(67, [1, 2, 3, 4], { ihl: 5 }))).toBe(true);
    });
    it('rejects non-first fragments, accepts a first fragment', () => {
      expect(accepts(dhcp4Frame(67, [1, 2, 3, 4], { fragmentOffset: 185 }))).toBe(false);
      expect(accepts(dhcp4Frame(67, [1, 2, 3, 4], { fragmentOffset: 1, moreFragments: true }))).toBe(false);
      expect(accepts(dhcp4Frame(67, [1, 2, 3, 4], { moreFragments: true }))).toBe(true);
    });
    it('rejects TCP to port 67, bad version, and IHL < 5', () => {
      expect(accepts(eth(ETH_P_IP, ipv4(udp(68, 67), { protocol: IPPROTO_TCP })))).toBe(false);
      expect(accepts(dhcp4Frame(67, [1, 2, 3, 4], { version: 6 }))).toBe(false);
      const f = dhcp4Frame(67);
      f[14] = 0x44; // IHL 4
      expect(accepts(f)).toBe(false);
    });
  });

  it('accepts ARP', () => expect(accepts(eth(0x0806, arpRequest()))).toBe(true));

  describe('IPv6', () => {
    const dhcp6 = udp(546, 547, [1, 0, 0, 1]);
    it('accepts UDP to 547, directly and after a hop-by-hop header', () => {
      expect(accepts(eth(ETH_P_IPV6, ipv6(IPPROTO_UDP, dhcp6)))).toBe(true);
      expect(accepts(eth(ETH_P_IPV6, ipv6(IPV6_HOPOPTS, ext6(IPPROTO_UDP, dhcp6))))).toBe(true);
    });
    it('rejects UDP to 546', () => {
      expect(accepts(eth(ETH_P_IPV6, ipv6(IPPROTO_UDP, udp(547, 546))))).toBe(false);
    });
    it('accepts RS (133) and NS (135), rejects RA (134) and NA (136)', () => {
      const nd = (t: number): boolean => accepts(eth(ETH_P_IPV6, ipv6(IPPROTO_ICMPV6, icmp6(t))));
      expect(nd(133)).toBe(true);
      expect(nd(135)).toBe(true);
      expect(nd(134)).toBe(false);
      expect(nd(136)).toBe(false);
      expect(nd(128)).toBe(false); // echo request
    });
    it('walks up to 3 extension headers of any length', () => {
      const ns = icmp6(135, new Array(20).fill(0));
      const three = ipv6(IPV6_HOPOPTS, ext6(IPV6_DSTOPTS, ext6(IPV6_ROUTING, ext6(IPPROTO_ICMPV6, ns, 2), 1)));
      expect(accepts(eth(ETH_P_IPV6, three))).toBe(true);
      const four = ipv6(IPV6_HOPOPTS, ext6(IPV6_DSTOPTS, ext6(IPV6_ROUTING, ext6(IPV6_DSTOPTS, ext6(IPPROTO_ICMPV6, ns)))));
      expect(accepts(eth(ETH_P_IPV6, four))).toBe(false);
    });
    it('rejects a fragment header (RFC 6980), also after a hop-by-hop header', () => {
      expect(accepts(eth(ETH_P_IPV6, ipv6(IPV6_FRAGMENT, frag6(IPPROTO_ICMPV6, icmp6(135)))))).toBe(false);
      expect(accepts(eth(ETH_P_IPV6, ipv6(IPV6_HOPOPTS, ext6(IPV6_FRAGMENT, frag6(IPPROTO_UDP, dhcp6)))))).toBe(false);
    });
    it('rejects TCP and no-next-header', () => {
      expect(accepts(eth(ETH_P_IPV6, ipv6(IPPROTO_TCP, udp(546, 547))))).toBe(false);
      expect(accepts(eth(ETH_P_IPV6, ipv6(59, [])))).toBe(false);
    });
  });

  it('rejects other ethertypes, including a tag left in the data (QinQ inner tag)', () => {
    expect(accepts(eth(0x88cc, new Array(40).fill(0)))).toBe(false); // LLDP
    expect(accepts(eth(0x8035, arpRequest()))).toBe(false); // RARP
    expect(accepts(vlanTagged(dhcp4Frame(67), 100))).toBe(false);
  });

  it('rejects every truncation of an accepted frame that cuts a field it reads', () => {
    const frames = [
      dhcp4Frame(67),
      dhcp4Frame(67, [], { ihl: 7 }),
      eth(ETH_P_IPV6, ipv6(IPPROTO_UDP, udp(546, 547))),
      eth(ETH_P_IPV6, ipv6(IPV6_HOPOPTS, ext6(IPPROTO_ICMPV6, icmp6(133), 1))),
    ];
    for (const f of frames) {
      const readEnd = lastReadEnd(f);
      for (let n = 0; n < readEnd; n++) expect(accepts(f.subarray(0, n)), `len ${n}`).toBe(false);
      expect(accepts(f)).toBe(true);
    }
    expect(accepts(Buffer.alloc(0))).toBe(false);
    expect(accepts(Buffer.from([0xff, 0xff]))).toBe(false);
  });
});

/** Byte just past the last field the filter must read to accept f. */
function lastReadEnd(f: Buffer): number {
  if (f.readUInt16BE(12) === ETH_P_IP) return 14 + (f[14]! & 0x0f) * 4 + 4; // through dport
  let nh = f[20]!;
  let off = 54;
  while (nh !== IPPROTO_UDP && nh !== IPPROTO_ICMPV6) {
    const next = f[off]!;
    off += (f[off + 1]! + 1) * 8;
    nh = next;
  }
  return nh === IPPROTO_UDP ? off + 4 : off + 1;
}

describe('BPF assembler and interpreter', () => {
  it('resolves forward labels and refuses backward ones', () => {
    const p = new Assembler().ldb(0).jeq(1, 'yes', 'no').label('yes').ret(1).label('no').ret(0).assemble();
    expect(p[1]).toMatchObject({ jt: 0, jf: 1 });
    expect(runFilter(p, Buffer.from([1]))).toBe(1);
    expect(runFilter(p, Buffer.from([2]))).toBe(0);
    expect(() => new Assembler().label('top').ldb(0).jeq(1, 'top').ret(0).assemble()).toThrow(/out of reach/);
    expect(() => new Assembler().ja('nowhere').assemble()).toThrow(/unknown label/);
  });

  it('encodes struct sock_filter as 8 bytes per instruction and decodes back', () => {
    const p = new Assembler().ldh(12).jeq(0x0806, undefined, 'r').ret(ACCEPT).label('r').ret(0).assemble();
    expect(decode(encode(p))).toEqual(p);
  });

  it('interprets ALU, scratch memory and division by zero like the kernel', () => {
    const prog = [
      { code: BPF.LD | BPF.IMM, jt: 0, jf: 0, k: 7 },
      { code: BPF.ST, jt: 0, jf: 0, k: 3 },
      { code: BPF.LDX | BPF.W | BPF.IMM, jt: 0, jf: 0, k: 0 },
      { code: BPF.LD | BPF.MEM, jt: 0, jf: 0, k: 3 },
      { code: BPF.ALU | BPF.MUL | BPF.K, jt: 0, jf: 0, k: 6 },
      { code: BPF.RET | BPF.A, jt: 0, jf: 0, k: 0 },
    ];
    expect(runFilter(prog, Buffer.alloc(0))).toBe(42);
    const div0 = [prog[0]!, prog[2]!, { code: BPF.ALU | BPF.DIV | BPF.X, jt: 0, jf: 0, k: 0 }, prog[5]!];
    expect(runFilter(div0, Buffer.alloc(0))).toBe(0);
  });
});
