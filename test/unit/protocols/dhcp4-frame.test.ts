import { describe, expect, it } from 'vitest';
import { dhcp4ReplyFrame } from '../../../src/protocols/dhcp4-frame.js';
import type { Dhcp4Reply } from '../../../src/protocols/dhcp4.js';
import { decodeDhcp4, getOption } from '../../../src/wire/dhcp4.js';
import { decodeUdpFrame } from '../../../src/wire/frame.js';
import { decodedAddresses, dhcp4Decoded, ip4, mac48 } from '../wire/helpers.js';

function reply(options: Array<[number, Uint8Array]>, maxLength = 576): Dhcp4Reply {
  return {
    type: 2,
    srcIp: ip4('203.0.113.1'),
    dstIp: ip4('203.0.113.10'),
    dstMac: mac48('aa:00:00:00:00:10'),
    maxLength,
    message: dhcp4Decoded({
      op: 2, htype: 1, hlen: 6, hops: 0, xid: 42, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '203.0.113.10',
      siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: 'aa:00:00:00:00:10', sname: '', file: '', options,
    }),
  };
}

describe('DHCPv4 reply framing', () => {
  it('builds a checksummed Ethernet/IPv4/UDP frame from the server MAC and addresses, 67 → 68', () => {
    const r = dhcp4ReplyFrame(reply([[53, Uint8Array.of(2)], [54, Uint8Array.of(203, 0, 113, 1)]]), 'fe:00:00:00:00:01');
    if (!r.ok) throw new Error(r.error);
    const f = decodeUdpFrame(r.frame, { verifyChecksum: true });
    if (!f.ok) throw new Error(f.error.toString());
    expect(f.value).toMatchObject(decodedAddresses({ srcMac: 'fe:00:00:00:00:01', dstMac: 'aa:00:00:00:00:10', srcIp: '203.0.113.1', dstIp: '203.0.113.10', srcPort: 67, dstPort: 68 }));
    expect(f.value.payload.length).toBeGreaterThanOrEqual(300); // BOOTP minimum
  });

  it('drops the least important options until the reply fits, never the mandatory ones', () => {
    const big = new Uint8Array(250).fill(7);
    const opts: Array<[number, Uint8Array]> = [
      [53, Uint8Array.of(2)], [54, Uint8Array.of(203, 0, 113, 1)], [51, Uint8Array.of(0, 0, 14, 16)],
      [1, Uint8Array.of(255, 255, 255, 0)], [15, big], [12, big], [119, big],
    ];
    const r = dhcp4ReplyFrame(reply(opts), 'fe:00:00:00:00:01');
    if (!r.ok) throw new Error(r.error);
    expect(r.frame.length - 14).toBeLessThanOrEqual(576);
    const f = decodeUdpFrame(r.frame);
    if (!f.ok) throw new Error('bad frame');
    const m = decodeDhcp4(f.value.payload);
    if (!m.ok) throw new Error('bad dhcp');
    expect(getOption(m.value, 51)).toEqual(Uint8Array.of(0, 0, 14, 16));
    expect(getOption(m.value, 1)).toBeDefined();
    expect(getOption(m.value, 119)).toBeUndefined(); // last, least important: dropped first
    // With a bigger allowance everything fits.
    const r2 = dhcp4ReplyFrame(reply(opts, 1500), 'fe:00:00:00:00:01');
    expect(r2.ok && r2.frame.length).toBeGreaterThan(750);
  });

  it('reports a caller bug instead of trimming', () => {
    const r = dhcp4ReplyFrame(reply([[53, Uint8Array.of(2)]]), 'not-a-mac');
    expect(r.ok).toBe(false);
  });

  it('builds in a reused buffer exactly the bytes of a fresh one, whatever the buffer held before', () => {
    const scratch = new Uint8Array(64 * 1024 + 64).fill(0xee); // stale bytes everywhere
    const big = new Uint8Array(250).fill(7);
    const small = reply([[53, Uint8Array.of(2)], [54, Uint8Array.of(203, 0, 113, 1)]]);
    const large = reply([[53, Uint8Array.of(2)], [54, Uint8Array.of(203, 0, 113, 1)], [15, big], [12, big]], 1500);
    for (const r of [large, small, large, small]) {
      const fresh = dhcp4ReplyFrame(r, 'fe:00:00:00:00:01');
      const reused = dhcp4ReplyFrame(r, 'fe:00:00:00:00:01', scratch);
      if (!fresh.ok || !reused.ok) throw new Error('encode');
      expect(reused.frame.buffer).toBe(scratch.buffer);
      expect(Buffer.from(reused.frame).equals(Buffer.from(fresh.frame))).toBe(true);
    }
    // Trimming to fit works the same in place.
    const trim = reply([[53, Uint8Array.of(2)], [54, Uint8Array.of(203, 0, 113, 1)], [15, big], [12, big], [119, big]]);
    const a = dhcp4ReplyFrame(trim, 'fe:00:00:00:00:01');
    const b = dhcp4ReplyFrame(trim, 'fe:00:00:00:00:01', scratch);
    if (!a.ok || !b.ok) throw new Error('encode');
    expect(Buffer.from(b.frame).equals(Buffer.from(a.frame))).toBe(true);
  });
});
