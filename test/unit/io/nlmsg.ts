/** Builds NETLINK_ROUTE messages by hand (host byte order), for parser and monitor tests. */
import { LITTLE_ENDIAN } from '../../../src/io/native.js';

const le = LITTLE_ENDIAN;
const pad4 = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

export function attr(type: number, payload: Uint8Array | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(`${payload}\0`) : Buffer.from(payload);
  const h = Buffer.alloc(4);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, 4 + p.length, le);
  dv.setUint16(2, type, le);
  return pad4(Buffer.concat([h, p]));
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  new DataView(b.buffer).setUint32(0, n, le);
  return b;
}

export function nlmsg(type: number, flags: number, seq: number, body: Uint8Array): Buffer {
  const h = Buffer.alloc(16);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 16 + body.length, le);
  dv.setUint16(4, type, le);
  dv.setUint16(6, flags, le);
  dv.setUint32(8, seq, le);
  dv.setUint32(12, 0, le);
  return pad4(Buffer.concat([h, body]));
}

export function ifinfomsg(index: number, flags: number, attrs: Buffer[] = []): Buffer {
  const h = Buffer.alloc(16);
  const dv = new DataView(h.buffer);
  dv.setInt32(4, index, le);
  dv.setUint32(8, flags, le);
  return Buffer.concat([h, ...attrs]);
}

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const NLA_F_NESTED = 0x8000;

export interface LinkSpec {
  index: number;
  name?: string;
  flags?: number;
  mac?: number[];
  operstate?: number;
  kind?: string;
  mtu?: number;
}

/** RTM_NEWLINK (16) / RTM_DELLINK (17) as the kernel would send it. */
export function linkMsg(type: 16 | 17, s: LinkSpec, seq = 0, nlflags = 0): Buffer {
  const attrs: Buffer[] = [];
  if (s.name !== undefined) attrs.push(attr(IFLA_IFNAME, s.name));
  if (s.mtu !== undefined) attrs.push(attr(IFLA_MTU, u32(s.mtu)));
  if (s.operstate !== undefined) attrs.push(attr(IFLA_OPERSTATE, Uint8Array.of(s.operstate)));
  if (s.mac) attrs.push(attr(IFLA_ADDRESS, Uint8Array.from(s.mac)));
  if (s.kind !== undefined) attrs.push(attr(IFLA_LINKINFO | NLA_F_NESTED, attr(IFLA_INFO_KIND, s.kind)));
  return nlmsg(type, nlflags, seq, ifinfomsg(s.index, s.flags ?? 0, attrs));
}

export function doneMsg(seq: number): Buffer {
  return nlmsg(3, 0x2, seq, u32(0));
}

export function errorMsg(seq: number, errno: number): Buffer {
  const b = Buffer.alloc(4 + 16);
  new DataView(b.buffer).setInt32(0, -errno, le);
  return nlmsg(2, 0, seq, b);
}
