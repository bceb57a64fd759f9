import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LITTLE_ENDIAN } from '../../../src/io/native.js';
import {
  IFF_LOWER_UP, IFF_RUNNING, IFF_UP, NLM_F_DUMP, NLM_F_REQUEST, RTM_GETLINK, buildGetLinkDump, parseNetlink,
} from '../../../src/io/netlink.js';
import { IFLA_IFNAME, attr, doneMsg, errorMsg, ifinfomsg, linkMsg, nlmsg } from './nlmsg.js';

const MAC = [0xaa, 0x00, 0x00, 0x00, 0x00, 0x1f];

describe('parseNetlink', () => {
  it('parses RTM_NEWLINK with name, MAC, MTU, operstate, flags and kind', () => {
    const msg = linkMsg(16, {
      index: 7, name: 'tap10', mac: MAC, mtu: 1500, operstate: 6, kind: 'tun',
      flags: IFF_UP | IFF_RUNNING | IFF_LOWER_UP,
    }, 42, 0x2);
    expect(parseNetlink(msg)).toEqual([{
      type: 'newlink', seq: 42, flags: 0x2,
      link: {
        ifindex: 7, name: 'tap10', mac: 'aa:00:00:00:00:1f', flags: IFF_UP | IFF_RUNNING | IFF_LOWER_UP,
        up: true, running: true, lowerUp: true, operstate: 'up', mtu: 1500, kind: 'tun',
      },
    }]);
  });

  it('reports a tap that is up without carrier as up, not running', () => {
    const [m] = parseNetlink(linkMsg(16, { index: 3, name: 'tap0', flags: IFF_UP, operstate: 2 }));
    expect(m).toMatchObject({ type: 'newlink', link: { up: true, running: false, lowerUp: false, operstate: 'down', kind: undefined, mac: undefined } });
  });

  it('parses RTM_DELLINK, NLMSG_DONE, NLMSG_ERROR and an ACK in one datagram', () => {
    const buf = Buffer.concat([
      linkMsg(17, { index: 9, name: 'tap9' }),
      doneMsg(5),
      errorMsg(6, 16),
      errorMsg(7, 0),
      nlmsg(1, 0, 8, Buffer.alloc(0)),
    ]);
    const out = parseNetlink(buf);
    expect(out.map((m) => m.type)).toEqual(['dellink', 'done', 'error', 'error', 'other']);
    expect(out[0]).toMatchObject({ link: { ifindex: 9, name: 'tap9', up: false } });
    expect(out[2]).toEqual({ type: 'error', seq: 6, errno: 16 });
    expect(out[3]).toEqual({ type: 'error', seq: 7, errno: 0 });
  });

  it('leaves mac undefined for addresses that are not 6 bytes (tunnels, L3 tun)', () => {
    expect(parseNetlink(linkMsg(16, { index: 4, name: 'ipip0', mac: [0, 0, 0, 0] }))[0]).toMatchObject({ link: { mac: undefined } });
    expect(parseNetlink(linkMsg(16, { index: 4, name: 'tun0', mac: [] }))[0]).toMatchObject({ link: { mac: undefined } });
  });

  it('maps unknown operstate values to unknown', () => {
    expect(parseNetlink(linkMsg(16, { index: 4, name: 'x', operstate: 99 }))[0]).toMatchObject({ link: { operstate: 'unknown' } });
  });

  describe('hostile input', () => {
    const good = linkMsg(16, { index: 7, name: 'tap10', mac: MAC, kind: 'veth' });

    it('stops at an nlmsg_len beyond the datagram (truncated read)', () => {
      const out = parseNetlink(Buffer.concat([doneMsg(1), good.subarray(0, good.length - 4)]));
      expect(out.map((m) => m.type)).toEqual(['done', 'invalid']);
    });

    it('stops at an nlmsg_len smaller than the header instead of looping', () => {
      const bad = Buffer.from(good);
      new DataView(bad.buffer, bad.byteOffset).setUint32(0, 0, LITTLE_ENDIAN);
      expect(parseNetlink(Buffer.concat([bad, good]))).toEqual([{ type: 'invalid', seq: 0, reason: 'bad nlmsg_len 0 at 0' }]);
    });

    it('reports a short ifinfomsg, a bad ifindex and a link without name as invalid', () => {
      expect(parseNetlink(nlmsg(16, 0, 1, Buffer.alloc(8)))[0]).toMatchObject({ type: 'invalid', reason: 'short ifinfomsg' });
      expect(parseNetlink(linkMsg(16, { index: -3, name: 'x' }))[0]).toMatchObject({ type: 'invalid' });
      expect(parseNetlink(linkMsg(16, { index: 3 }))[0]).toMatchObject({ type: 'invalid', reason: 'link without IFLA_IFNAME' });
    });

    it('ignores attributes after a malformed one, keeps those before', () => {
      const broken = Buffer.from([0xff, 0x00, 0x01, 0x00, 1, 2, 3, 4]); // rta_len 255 > remaining
      const before = parseNetlink(nlmsg(16, 0, 1, ifinfomsg(5, 0, [attr(IFLA_IFNAME, 'eth5'), broken])));
      expect(before[0]).toMatchObject({ type: 'newlink', link: { name: 'eth5' } });
      const after = parseNetlink(nlmsg(16, 0, 1, ifinfomsg(5, 0, [broken, attr(IFLA_IFNAME, 'eth5')])));
      expect(after[0]).toMatchObject({ type: 'invalid' });
      const zeroLen = Buffer.from([0, 0, 3, 0]); // rta_len 0 would loop forever
      expect(parseNetlink(nlmsg(16, 0, 1, ifinfomsg(5, 0, [zeroLen, attr(IFLA_IFNAME, 'eth5')])))[0]).toMatchObject({ type: 'invalid' });
    });

    it('reads a name without terminating NUL and a short NLMSG_ERROR safely', () => {
      const noNul = Buffer.concat([Buffer.from([8, 0, IFLA_IFNAME, 0]), Buffer.from('abcd')]);
      expect(parseNetlink(nlmsg(16, 0, 1, ifinfomsg(5, 0, [noNul])))[0]).toMatchObject({ link: { name: 'abcd' } });
      expect(parseNetlink(nlmsg(2, 0, 1, Buffer.alloc(2)))[0]).toMatchObject({ type: 'invalid' });
    });

    it('handles empty input and trailing garbage', () => {
      expect(parseNetlink(Buffer.alloc(0))).toEqual([]);
      expect(parseNetlink(Buffer.concat([doneMsg(1), Buffer.from([1, 2, 3])])).map((m) => m.type)).toEqual(['done', 'invalid']);
    });

    it('never throws on random bytes or on mutations of a valid message', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(Array.isArray(parseNetlink(b))).toBe(true);
      }), { numRuns: 2000 });
      fc.assert(fc.property(fc.nat(good.length - 1), fc.nat(255), fc.nat(good.length), (i, v, cut) => {
        const m = Buffer.from(good);
        m[i] = v;
        parseNetlink(m.subarray(0, cut));
      }), { numRuns: 3000 });
    });

    it('parses from an offset view of a larger buffer', () => {
      const big = Buffer.concat([Buffer.alloc(3), good]);
      expect(parseNetlink(big.subarray(3))[0]).toMatchObject({ type: 'newlink', link: { name: 'tap10', kind: 'veth' } });
    });
  });
});

describe('buildGetLinkDump', () => {
  it('is a 32-byte RTM_GETLINK request with NLM_F_DUMP and the given seq', () => {
    const b = buildGetLinkDump(1234);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(b.length).toBe(32);
    expect(dv.getUint32(0, LITTLE_ENDIAN)).toBe(32);
    expect(dv.getUint16(4, LITTLE_ENDIAN)).toBe(RTM_GETLINK);
    expect(dv.getUint16(6, LITTLE_ENDIAN)).toBe(NLM_F_REQUEST | NLM_F_DUMP);
    expect(dv.getUint32(8, LITTLE_ENDIAN)).toBe(1234);
    expect(b.subarray(16).every((x) => x === 0)).toBe(true);
  });
});
