/**
 * Classic BPF (Documentation/networking/filter.rst) built in TypeScript.
 *
 * Each bound tap has its own AF_PACKET socket, bound to the tap's ifindex
 * (io/tap-sockets.ts; README "Architecture"), and the kernel runs this
 * program on every frame that tap's guest sends, before queueing it on the
 * socket: it must pass only the handful of frames onlinkd answers, and keep
 * everything else (the guest's ordinary traffic) out of the receive queue
 * and out of user space.
 *
 *   ARP                                             (any; TS decides)
 *   IPv4 / UDP, destination port 67                 (DHCPv4 client -> server)
 *   IPv6 / UDP, destination port 547                (DHCPv6 client -> server)
 *   IPv6 / ICMPv6 type 133 (RS) or 135 (NS)         (RFC 4861)
 *
 * IPv4: the header length is read from IHL (options are legal); version must
 * be 4; non-first fragments (offset != 0) carry no UDP header and are
 * rejected. IPv6: up to 3 hop-by-hop / routing / destination-options headers
 * are skipped (RFC 8200 4.1 order); a Fragment header is rejected: ND must not
 * be fragmented (RFC 6980) and DHCPv6 is small.
 *
 * VLAN: the kernel removes the outer 802.1Q/802.1ad tag before packet taps
 * run (skb_vlan_untag in __netif_receive_skb_core), so offsets here assume an
 * untagged Ethernet header; the tag is reported via PACKET_AUXDATA and
 * PacketSocket exposes it as `vlanTci` for the daemon to decide. A frame that
 * still carries a tag in its data (QinQ inner tag) has ethertype 0x8100/0x88a8
 * at offset 12 and is rejected.
 *
 * A load beyond the end of the frame makes the kernel return 0 (drop), so
 * truncated frames are rejected without explicit length checks.
 */
import { LITTLE_ENDIAN } from './native.js';

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// Opcode fields (linux/bpf_common.h).
export const BPF = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, H: 0x08, B: 0x10,
  IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0,
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  K: 0x00, X: 0x08, A: 0x10,
  TAX: 0x00, TXA: 0x80,
} as const;

/** Snap length returned on accept: whole frame (matches the native 256 KiB buffer). */
export const ACCEPT = 0x40000;

/** A jump target: a label name, or undefined for "the next instruction". */
type Target = string | undefined;
type Item = { insn: Insn; jt?: Target; jf?: Target; ja?: string } | { label: string };

/**
 * A tiny assembler with forward labels, because cBPF jump offsets are
 * relative u8 counts that are error-prone to maintain by hand.
 */
export class Assembler {
  private items: Item[] = [];

  private op(code: number, k = 0): this {
    this.items.push({ insn: { code, jt: 0, jf: 0, k: k >>> 0 } });
    return this;
  }

  label(name: string): this {
    this.items.push({ label: name });
    return this;
  }

  /** A = u8/u16/u32 at absolute offset k. */
  ldb(k: number): this { return this.op(BPF.LD | BPF.B | BPF.ABS, k); }
  ldh(k: number): this { return this.op(BPF.LD | BPF.H | BPF.ABS, k); }
  ld(k: number): this { return this.op(BPF.LD | BPF.W | BPF.ABS, k); }
  /** A = u8/u16 at X + k. */
  ldbInd(k: number): this { return this.op(BPF.LD | BPF.B | BPF.IND, k); }
  ldhInd(k: number): this { return this.op(BPF.LD | BPF.H | BPF.IND, k); }
  /** X = 4 * (frame[k] & 0x0f): the IPv4 header length. */
  ldxMsh(k: number): this { return this.op(BPF.LDX | BPF.B | BPF.MSH, k); }
  ldxImm(k: number): this { return this.op(BPF.LDX | BPF.W | BPF.IMM, k); }
  ldMem(slot: number): this { return this.op(BPF.LD | BPF.MEM, slot); }
  st(slot: number): this { return this.op(BPF.ST, slot); }
  and(k: number): this { return this.op(BPF.ALU | BPF.AND | BPF.K, k); }
  add(k: number): this { return this.op(BPF.ALU | BPF.ADD | BPF.K, k); }
  addX(): this { return this.op(BPF.ALU | BPF.ADD | BPF.X); }
  lsh(k: number): this { return this.op(BPF.ALU | BPF.LSH | BPF.K, k); }
  tax(): this { return this.op(BPF.MISC | BPF.TAX); }
  txa(): this { return this.op(BPF.MISC | BPF.TXA); }
  ret(k: number): this { return this.op(BPF.RET | BPF.K, k); }

  private jump(op: number, k: number, jt: Target, jf: Target): this {
    this.items.push({ insn: { code: BPF.JMP | op | BPF.K, jt: 0, jf: 0, k: k >>> 0 }, jt, jf });
    return this;
  }
  jeq(k: number, jt: Target, jf?: Target): this { return this.jump(BPF.JEQ, k, jt, jf); }
  jge(k: number, jt: Target, jf?: Target): this { return this.jump(BPF.JGE, k, jt, jf); }
  jset(k: number, jt: Target, jf?: Target): this { return this.jump(BPF.JSET, k, jt, jf); }
  ja(label: string): this {
    this.items.push({ insn: { code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: 0 }, ja: label });
    return this;
  }

  /** Resolves labels; throws on an unknown, backward or too distant label. */
  assemble(): Insn[] {
    const at = new Map<string, number>();
    let n = 0;
    for (const it of this.items) {
      if ('label' in it) at.set(it.label, n);
      else n++;
    }
    const out: Insn[] = [];
    const offset = (pc: number, t: Target, max: number): number => {
      if (t === undefined) return 0;
      const dest = at.get(t);
      if (dest === undefined) throw new Error(`bpf: unknown label ${t}`);
      const off = dest - pc - 1;
      if (off < 0 || off > max) throw new Error(`bpf: label ${t} out of reach from ${pc}`);
      return off;
    };
    for (const it of this.items) {
      if ('label' in it) continue;
      const pc = out.length;
      const insn = { ...it.insn };
      if (it.ja !== undefined) insn.k = offset(pc, it.ja, 0xffff);
      else if ((insn.code & 0x07) === BPF.JMP) {
        insn.jt = offset(pc, it.jt, 0xff);
        insn.jf = offset(pc, it.jf, 0xff);
      }
      out.push(insn);
    }
    return out;
  }
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k, in host byte order. */
export function encode(program: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    const o = i * 8;
    if (LITTLE_ENDIAN) { buf.writeUInt16LE(ins.code, o); buf.writeUInt32LE(ins.k, o + 4); }
    else { buf.writeUInt16BE(ins.code, o); buf.writeUInt32BE(ins.k, o + 4); }
    buf[o + 2] = ins.jt;
    buf[o + 3] = ins.jf;
  });
  return buf;
}

export function decode(buf: Uint8Array): Insn[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o + 8 <= b.length; o += 8) {
    out.push({
      code: LITTLE_ENDIAN ? b.readUInt16LE(o) : b.readUInt16BE(o),
      jt: b[o + 2]!,
      jf: b[o + 3]!,
      k: LITTLE_ENDIAN ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4),
    });
  }
  return out;
}

/** Offsets and numbers the filters test (also bpf-uplink.ts's). */
export const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
const IPV6_HOPOPTS = 0;
const IPV6_ROUTING = 43;
const IPV6_DSTOPTS = 60;
/** IPv6 extension headers skipped before the filter gives up. */
const MAX_EXT_HEADERS = 3;

/** The onlinkd program as instructions (for tests and later extensions). */
export function onlinkProgram(): Insn[] {
  const a = new Assembler();
  a.ldh(12)
    .jeq(ETH_P_ARP, 'accept')
    .jeq(ETH_P_IP, 'ipv4')
    .jeq(ETH_P_IPV6, 'ipv6', 'reject');

  // IPv4 (RFC 791): version 4, UDP, first fragment only, IHL-aware.
  a.label('ipv4')
    .ldb(ETH_HLEN).and(0xf0).jeq(0x40, undefined, 'reject')
    .ldb(ETH_HLEN + 9).jeq(IPPROTO_UDP, undefined, 'reject')
    .ldh(ETH_HLEN + 6).jset(0x1fff, 'reject') // fragment offset != 0
    .ldxMsh(ETH_HLEN)
    .txa().jge(20, undefined, 'reject') // IHL < 5 is malformed
    .ldhInd(ETH_HLEN + 2) // UDP destination port
    .jeq(67, 'accept', 'reject');

  // IPv6 (RFC 8200): X = offset of the header whose type is in A.
  a.label('ipv6').ldb(ETH_HLEN + 6).ldxImm(ETH_HLEN + 40);
  for (let i = 0; i <= MAX_EXT_HEADERS; i++) {
    const last = i === MAX_EXT_HEADERS;
    a.label(`nh${i}`).jeq(IPPROTO_UDP, 'udp6').jeq(IPPROTO_ICMPV6, 'icmp6');
    if (last) {
      a.ja('reject');
      break;
    }
    a.jeq(IPV6_HOPOPTS, `ext${i}`)
      .jeq(IPV6_ROUTING, `ext${i}`)
      .jeq(IPV6_DSTOPTS, `ext${i}`, 'reject'); // includes Fragment (44)
    // Skip the header: next type at [X], length (8-octet units, minus 1) at [X+1].
    a.label(`ext${i}`)
      .ldbInd(0).st(0)
      .ldbInd(1).add(1).lsh(3).addX().tax()
      .ldMem(0);
  }
  a.label('udp6').ldhInd(2).jeq(547, 'accept', 'reject');
  a.label('icmp6').ldbInd(0).jeq(133, 'accept').jeq(135, 'accept', 'reject');

  a.label('accept').ret(ACCEPT);
  a.label('reject').ret(0);
  return a.assemble();
}

/** The program as the kernel wants it (SO_ATTACH_FILTER). */
export function buildOnlinkFilter(): Buffer {
  return encode(onlinkProgram());
}

/**
 * A classic BPF interpreter, for tests only: runs a program on a frame the
 * way the kernel does (out-of-bounds load or division by zero -> 0) and
 * returns the accept length. Ancillary loads (negative offsets) are not
 * modelled and reject.
 */
export function runFilter(program: readonly Insn[] | Uint8Array, frame: Uint8Array): number {
  const prog = program instanceof Uint8Array ? decode(program) : program;
  const mem = new Uint32Array(16);
  let A = 0;
  let X = 0;
  const load = (off: number, size: number): number | undefined => {
    if (off < 0 || off + size > frame.length) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + frame[off + i]!;
    return v >>> 0;
  };
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    const cls = code & 0x07;
    const size = [4, 2, 1][(code & 0x18) >> 3] ?? 4;
    const mode = code & 0xe0;
    const src = code & 0x08 ? X : k;
    if (cls === BPF.LD || cls === BPF.LDX) {
      let v: number | undefined;
      if (mode === BPF.IMM) v = k;
      else if (mode === BPF.LEN) v = frame.length;
      else if (mode === BPF.MEM) v = mem[k & 15];
      else if (mode === BPF.ABS) v = load(k | 0, size);
      else if (mode === BPF.IND) v = load((X + k) | 0, size);
      else if (mode === BPF.MSH && cls === BPF.LDX) {
        const b = load(k | 0, 1);
        v = b === undefined ? undefined : (b & 0x0f) * 4;
      }
      if (v === undefined) return 0;
      if (cls === BPF.LD) A = v;
      else X = v;
    } else if (cls === BPF.ST) mem[k & 15] = A;
    else if (cls === BPF.STX) mem[k & 15] = X;
    else if (cls === BPF.ALU) {
      const op = code & 0xf0;
      if ((op === BPF.DIV || op === BPF.MOD) && src === 0) return 0;
      const r: Record<number, () => number> = {
        [BPF.ADD]: () => A + src, [BPF.SUB]: () => A - src, [BPF.MUL]: () => Math.imul(A, src),
        [BPF.DIV]: () => Math.floor(A / src), [BPF.MOD]: () => A % src, [BPF.OR]: () => A | src,
        [BPF.AND]: () => A & src, [BPF.XOR]: () => A ^ src, [BPF.NEG]: () => -A,
        [BPF.LSH]: () => (src >= 32 ? 0 : A << src), [BPF.RSH]: () => (src >= 32 ? 0 : A >>> src),
      };
      const f = r[op];
      if (!f) return 0;
      A = f() >>> 0;
    } else if (cls === BPF.JMP) {
      const op = code & 0xf0;
      if (op === BPF.JA) pc += k;
      else {
        const s = src >>> 0;
        const taken = op === BPF.JEQ ? A === s : op === BPF.JGT ? A > s : op === BPF.JGE ? A >= s : (A & s) !== 0;
        pc += taken ? jt : jf;
      }
    } else if (cls === BPF.RET) return (code & 0x18) === BPF.A ? A : k;
    else if (cls === BPF.MISC) {
      if ((code & 0xf8) === BPF.TXA) A = X;
      else X = A;
    }
  }
  return 0; // fell off the end: the kernel's checker would not have accepted it
}
