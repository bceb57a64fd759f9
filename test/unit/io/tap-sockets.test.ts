/**
 * TapSockets (issue 6 item 2): one receiving socket per bound tap, kernel
 * drop counters per tap and in total (closed sockets included), pause and
 * resume of a flooding tap, with fake sockets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TapSockets } from '../../../src/io/tap-sockets.js';
import type { PacketSocketOptions } from '../../../src/io/packet-socket.js';

class FakeSock {
  stats = { packets: 0, drops: 0 };
  closed = false;
  paused = false;
  pauses = 0;
  constructor(readonly options: PacketSocketOptions) {}
  onFrame(): void {}
  onError(): void {}
  kernelStats() {
    return { ...this.stats };
  }
  close(): void {
    this.closed = true;
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
  }
}

function rig(fail?: string) {
  const socks: FakeSock[] = [];
  const ts = new TapSockets({
    onFrame: () => undefined,
    open: (o) => {
      if (fail) throw Object.assign(new Error(fail), { code: fail });
      const s = new FakeSock(o);
      socks.push(s);
      return s;
    },
  });
  return { ts, socks };
}

afterEach(() => vi.useRealTimers());

describe('TapSockets', () => {
  it('opens one socket bound to the ifindex, idempotently, with a per-tap receive buffer', () => {
    const { ts, socks } = rig();
    expect(ts.open(7, 'tap10')).toEqual({ ok: true });
    expect(ts.open(7, 'tap10')).toEqual({ ok: true });
    expect(socks).toHaveLength(1);
    expect(socks[0]!.options).toMatchObject({ ifindex: 7 });
    expect(socks[0]!.options.receiveBufferBytes).toBeGreaterThan(0);
    expect(ts.size).toBe(1);
    ts.close(7);
    expect(socks[0]!.closed).toBe(true);
    expect(ts.has(7)).toBe(false);
    ts.close(7); // no-op
  });

  it('reports an open failure as the errno name', () => {
    expect(rig('EMFILE').ts.open(7, 'tap10')).toEqual({ ok: false, error: 'EMFILE' });
  });

  it('sums kernel counters over open and closed sockets; drops per tap since the last read', () => {
    const { ts, socks } = rig();
    ts.open(7, 'tap10');
    ts.open(8, 'tap11');
    socks[0]!.stats = { packets: 100, drops: 40 };
    socks[1]!.stats = { packets: 5, drops: 0 };
    let k = ts.readKernelStats();
    expect(k.total).toEqual({ packets: 105, drops: 40 });
    expect([...k.drops]).toEqual([['tap10', 40]]);
    socks[0]!.stats = { packets: 150, drops: 70 };
    ts.close(7); // its last 30 drops still count, for its tap
    k = ts.readKernelStats();
    expect(k.total).toEqual({ packets: 155, drops: 70 });
    expect([...k.drops]).toEqual([['tap10', 30]]);
    expect([...ts.readKernelStats().drops]).toEqual([]);
  });

  it('pauses a tap for the given time, once, and resumes it; closing cancels the resume', () => {
    vi.useFakeTimers();
    const { ts, socks } = rig();
    ts.open(7, 'tap10');
    ts.pause(7, 20);
    ts.pause(7, 20); // already paused
    expect(socks[0]!.paused).toBe(true);
    expect(socks[0]!.pauses).toBe(1);
    vi.advanceTimersByTime(19);
    expect(socks[0]!.paused).toBe(true);
    vi.advanceTimersByTime(1);
    expect(socks[0]!.paused).toBe(false);
    ts.pause(7, 20);
    ts.close(7);
    vi.advanceTimersByTime(50);
    expect(socks[0]!.paused).toBe(true); // closed: never resumed
    ts.pause(99, 20); // unknown ifindex: no-op
  });
});
