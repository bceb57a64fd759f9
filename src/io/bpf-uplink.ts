/**
 * The receive filter of an uplink socket (runtime/uplink-proxy.ts): ARP
 * requests and ICMPv6 Neighbor Solicitations only, nothing else that an
 * uplink carries (its DHCP, RAs, the segment's whole traffic). The
 * responder checks everything again; this only keeps the rest out of the
 * socket's queue.
 *
 * An NS behind IPv6 extension headers is not accepted: RFC 4861 §7.1.1
 * gives an NS none, and routers send none.
 */
import { ACCEPT, Assembler, ETH_HLEN, ETH_P_ARP, ETH_P_IPV6, IPPROTO_ICMPV6, encode, type Insn } from './bpf.js';

const ARP_OP_REQUEST = 1;
const ND_NEIGHBOR_SOLICIT = 135;

export function uplinkProgram(): Insn[] {
  const a = new Assembler();
  a.ldh(12).jeq(ETH_P_ARP, 'arp').jeq(ETH_P_IPV6, 'ipv6', 'reject');
  a.label('arp').ldh(ETH_HLEN + 6).jeq(ARP_OP_REQUEST, 'accept', 'reject');
  a.label('ipv6')
    .ldb(ETH_HLEN + 6).jeq(IPPROTO_ICMPV6, undefined, 'reject')
    .ldb(ETH_HLEN + 40).jeq(ND_NEIGHBOR_SOLICIT, 'accept', 'reject');
  a.label('accept').ret(ACCEPT);
  a.label('reject').ret(0);
  return a.assemble();
}

let built: Buffer | undefined;

/** The program as the kernel wants it (SO_ATTACH_FILTER), assembled once. */
export function uplinkFilter(): Buffer {
  return (built ??= encode(uplinkProgram()));
}
