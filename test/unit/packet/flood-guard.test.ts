/**
 * The per-tap flood guard's hooks (issue 6 item 2): when a tap's bucket is
 * empty the path asks the daemon to stop reading that tap for 1/rate s (its
 * frames are dropped in the kernel, in the tap's own queue, at no cost), and
 * a clock stepped back neither unlocks nor locks a tap.
 */
import { describe, expect, it } from 'vitest';
import { encodeDhcp4 } from '../../../src/wire/dhcp4.js';
import { buildUdpFrame } from '../../../src/wire/frame.js';
import { pathRig } from '../../helpers/path-rig.js';

const VM_MAC = 'aa:00:00:00:00:10';

function discover(srcMac = VM_MAC): Uint8Array {
  const msg = encodeDhcp4({
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 7, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: srcMac, sname: '', file: '', options: [[53, Uint8Array.of(1)]],
  });
  if (!msg.ok) throw new Error('encode');
  return buildUdpFrame({ srcMac, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: msg.value });
}

function setup(guard: { rate: number; burst: number }) {
  const paused: Array<{ tap: string; ifindex: number; waitMs: number }> = [];
  const rig = pathRig({ guard }, { pause: (ifindex, waitMs) => paused.push({ tap: rig.taps.lookup(ifindex)!.binding.tap, ifindex, waitMs }) });
  rig.addTap('tap10', 7, 'fe:00:00:00:00:10', `MAC=${VM_MAC}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\n`);
  rig.addTap('tap11', 8, 'fe:00:00:00:00:11', 'MAC=aa:00:00:00:00:11\nIP=203.0.113.11\nSUBNET=203.0.113.0/24\n');
  return { ...rig, paused };
}

describe('flood guard hooks', () => {
  it('asks to pause only the flooding tap, for the time one token takes', () => {
    const { path, paused, sent } = setup({ rate: 50, burst: 4 });
    for (let i = 0; i < 4; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(paused).toEqual([]);
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(paused).toEqual([{ tap: 'tap10', ifindex: 7, waitMs: 20 }]);
    path.handle({ ifindex: 8, data: discover('aa:00:00:00:00:11'), checksumNotReady: false });
    expect(paused).toHaveLength(1);
    expect(sent.map((s) => s.ifindex)).toEqual([7, 7, 7, 7, 8]);
  });

  it('never asks for less than 5 ms (very high rates)', () => {
    const { path, paused } = setup({ rate: 1_000_000, burst: 1 });
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(paused[0]!.waitMs).toBe(5);
  });

  it('a clock stepped back by an hour: the tap is limited as before, not locked out', () => {
    const { path, sent, tick, stats } = setup({ rate: 10, burst: 5 });
    for (let i = 0; i < 10; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(sent).toHaveLength(5);
    tick(-3_600_000);
    for (let i = 0; i < 10; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(sent).toHaveLength(5); // no credit for the jump
    tick(1_000);
    for (let i = 0; i < 20; i++) path.handle({ ifindex: 7, data: discover(), checksumNotReady: false });
    expect(sent).toHaveLength(10); // the rate goes on from the new time: burst 5 refilled, no more
    expect(stats.global.drops['internal-error']).toBeUndefined();
  });
});
