/**
 * TapSockets (issue 6 item 2): one receiving socket per bound tap, kernel
 * drop counters per tap and in total (closed sockets included), pause and
 * resume of a flooding tap, with fake sockets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TapSockets } from '../../../src/io/tap-sockets.js';
import type { PacketSocketOptions, ReceivedFrame } from '../../../src/io/packet-socket.js';

class FakeSock {
  stats = { packets: 0, drops: 0 };
  closed = false;
  paused = false;
  pauses = 0;
  /** kernelStats() calls (each is a getsockopt on a real socket). */
  reads = 0;
  #frame: ((f: ReceivedFrame) => void) | undefined;
  constructor(readonly options: PacketSocketOptions) {}
  onFrame(cb: (f: ReceivedFrame) => void): void {
    this.#frame = cb;
  }
  onError(): void {}
  /** A frame arrives (the counters the kernel keeps are set by the test). */
  deliver(): void {
    this.#frame?.({ ifindex: this.options.ifindex ?? 0, data: Buffer.alloc(0), pkttype: 0, checksumNotReady: false });
  }
  kernelStats() {
    this.reads++;
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
  /** Frames sent through this socket (on the interface it is bound to). */
  sent: Uint8Array[] = [];
  sendBound(frame: Uint8Array) {
    if (this.closed) return { ok: false as const, error: 'EBADF' };
    this.sent.push(frame);
    return { ok: true as const, bytes: frame.length };
  }
  started = false;
  start(): void {
    this.started = true;
  }
}

/** The shared send-only socket, for tests that send nothing. */
const noSendSocket = { send: () => ({ ok: false as const, error: 'EBADF' }) };

function rig(fail?: string) {
  const socks: FakeSock[] = [];
  /** Frames that went out through the shared send socket (interfaces without a tap socket). */
  const shared: Array<{ ifindex: number; frame: Uint8Array }> = [];
  const ts = new TapSockets({
    sendSocket: {
      send: (ifindex, frame) => {
        shared.push({ ifindex, frame });
        return { ok: true, bytes: frame.length };
      },
    },
    open: (o) => {
      if (fail) throw Object.assign(new Error(fail), { code: fail });
      const s = new FakeSock(o);
      socks.push(s);
      return s;
    },
  });
  return { ts, socks, shared };
}

afterEach(() => vi.useRealTimers());

describe('TapSockets', () => {
  it('sends through the tap\'s own socket, and through the shared send socket for interfaces without one', () => {
    const { ts, socks, shared } = rig();
    ts.open(7, 'tap10');
    ts.open(8, 'tap11');
    const frame = Uint8Array.of(1, 2, 3);
    expect(ts.send(8, frame)).toEqual({ ok: true, bytes: 3 });
    expect(socks[1]!.sent).toEqual([frame]);
    expect(socks[0]!.sent).toEqual([]);
    expect(shared).toEqual([]);
    ts.send(9, frame); // no socket (an uplink): the shared send socket, with the ifindex
    expect(shared).toEqual([{ ifindex: 9, frame }]);
    ts.close(8);
    ts.send(8, frame);
    expect(socks[1]!.sent).toEqual([frame]); // closed: not through it any more
    expect(shared).toEqual([{ ifindex: 9, frame }, { ifindex: 8, frame }]);
  });

  it('delivers every socket\'s frames straight to the sink, and marks the socket active', () => {
    const { ts, socks } = rig();
    const got: number[] = [];
    ts.deliverTo({ handle: (f) => void got.push(f.ifindex) });
    ts.open(7, 'tap10');
    ts.open(8, 'tap11');
    socks[1]!.deliver();
    socks[0]!.deliver();
    expect(got).toEqual([8, 7]);
  });

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
    socks[0]!.deliver();
    socks[1]!.deliver();
    let k = ts.readKernelStats();
    expect(k.total).toEqual({ packets: 105, drops: 40 });
    expect([...k.drops]).toEqual([['tap10', 40]]);
    socks[0]!.stats = { packets: 150, drops: 70 };
    ts.close(7); // its last 30 drops still count, for its tap (a closing socket is always read)
    k = ts.readKernelStats();
    expect(k.total).toEqual({ packets: 155, drops: 70 });
    expect([...k.drops]).toEqual([['tap10', 30]]);
    expect([...ts.readKernelStats().drops]).toEqual([]);
  });

  it('asks the kernel only about sockets that delivered frames or were paused since the last read', () => {
    vi.useFakeTimers();
    const { ts, socks } = rig();
    for (let i = 0; i < 3; i++) ts.open(10 + i, `tap${i}`);
    ts.readKernelStats();
    const reads = () => socks.map((s) => s.reads);
    expect(reads()).toEqual([0, 0, 0]); // nothing happened on any tap
    socks[1]!.stats = { packets: 4, drops: 1 };
    socks[1]!.deliver();
    ts.pause(12, 1000); // a flood: frames may be dropped while nobody reads
    socks[2]!.stats = { packets: 9, drops: 7 };
    const k = ts.readKernelStats();
    expect(reads()).toEqual([0, 1, 1]);
    expect(k.total).toEqual({ packets: 13, drops: 8 });
    expect([...k.drops]).toEqual([['tap1', 1], ['tap2', 7]]);
    ts.readKernelStats(); // tap2 is still paused: asked again; tap1 went quiet
    expect(reads()).toEqual([0, 1, 2]);
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

  it('a socket that cannot resume reading is closed and reported like a failed open, never thrown from the timer', () => {
    vi.useFakeTimers();
    const failed: Array<[string, number, string]> = [];
    const socks: FakeSock[] = [];
    const ts = new TapSockets({
      sendSocket: noSendSocket,
      onOpenFailed: (tap, ifindex, err) => failed.push([tap, ifindex, err]),
      open: (o) => {
        const s = new FakeSock(o);
        s.resume = () => {
          throw Object.assign(new Error('busy'), { code: 'EBUSY' });
        };
        socks.push(s);
        return s;
      },
    });
    ts.open(7, 'tap10');
    ts.pause(7, 20);
    expect(() => vi.advanceTimersByTime(20)).not.toThrow();
    expect(socks[0]!.closed).toBe(true);
    expect(ts.has(7)).toBe(false); // so the next link event opens it again
    expect(failed).toEqual([['tap10', 7, 'EBUSY']]);
  });

  describe('prepare (sockets opened in the background at start-up)', () => {
    function prepRig(results: (ifindex: number) => 'ok' | string) {
      const opened: FakeSock[] = [];
      const prepared = new Map<number, FakeSock>();
      const failed: Array<[string, number, string]> = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const ts = new TapSockets({
        sendSocket: noSendSocket,
        open: (o) => {
          const s = new FakeSock(o);
          opened.push(s);
          return s;
        },
        openMany: async (ifindexes) => {
          await gate; // the pool thread is still at work until the test says so
          return new Map<number, FakeSock | string>(ifindexes.map((i): [number, FakeSock | string] => {
            const r = results(i);
            if (r !== 'ok') return [i, r];
            const s = new FakeSock({ ifindex: i });
            prepared.set(i, s);
            return [i, s];
          }));
        },
        onOpenFailed: (tap, ifindex, error) => void failed.push([tap, ifindex, error]),
      });
      return { ts, opened, prepared, failed, release };
    }

    it('a tap claiming its socket while it is being opened gets it, started, once ready; the rest wait until dropSpare', async () => {
      const r = prepRig(() => 'ok');
      const done = r.ts.prepare([7, 8, 9]);
      expect(r.ts.open(7, 'tap10')).toEqual({ ok: true }); // claimed, nothing opened in line
      expect(r.ts.has(7)).toBe(true);
      expect(r.opened).toHaveLength(0);
      r.release();
      await done;
      expect(r.prepared.get(7)!.started).toBe(true);
      expect(r.ts.size).toBe(1);
      // A claim after the sockets are ready takes the spare one.
      expect(r.ts.open(8, 'tap11')).toEqual({ ok: true });
      expect(r.prepared.get(8)!.started).toBe(true);
      expect(r.opened).toHaveLength(0);
      r.ts.dropSpare();
      expect(r.prepared.get(9)!.closed).toBe(true);
      expect(r.prepared.get(9)!.started).toBe(false);
      // After that, a tap gets a socket of its own.
      expect(r.ts.open(9, 'tap12')).toEqual({ ok: true });
      expect(r.opened).toHaveLength(1);
    });

    it('a claimed socket that failed in the background is opened again in line; a failure then is reported', async () => {
      const r = prepRig((i) => (i === 7 ? 'EMFILE' : 'ok'));
      const ts = r.ts;
      const done = ts.prepare([7]);
      ts.open(7, 'tap10');
      r.release();
      await done;
      expect(r.opened).toHaveLength(1); // opened in line after the background failure
      expect(r.failed).toEqual([]);
      expect(r.ts.has(7)).toBe(true);

      const r2 = prepRig(() => 'ENOBUFS');
      const ts2 = new TapSockets({
        sendSocket: noSendSocket,
        open: () => {
          throw Object.assign(new Error('EMFILE'), { code: 'EMFILE' });
        },
        openMany: async (ifindexes) => new Map<number, string>(ifindexes.map((i): [number, string] => [i, 'ENOBUFS'])),
        onOpenFailed: (tap, ifindex, error) => void r2.failed.push([tap, ifindex, error]),
      });
      const d2 = ts2.prepare([7]);
      ts2.open(7, 'tap10');
      await d2;
      expect(r2.failed).toEqual([['tap10', 7, 'EMFILE']]);
      expect(ts2.has(7)).toBe(false);
    });

    it('a prepared socket that cannot start is closed and reported; the tap is not counted as receiving', async () => {
      const r = prepRig(() => 'ok');
      const done = r.ts.prepare([7, 8]);
      r.ts.open(7, 'tap10');
      r.release();
      await done;
      const broken = r.prepared.get(8)!;
      broken.start = () => {
        throw Object.assign(new Error('uv_poll_init'), { code: 'ENOMEM' });
      };
      expect(r.ts.open(8, 'tap11')).toEqual({ ok: false, error: 'ENOMEM' });
      expect(broken.closed).toBe(true);
      expect(r.ts.has(8)).toBe(false);
      expect(r.ts.has(7)).toBe(true);
    });

    it('a tap that goes away before its socket is ready does not get it (closed by dropSpare)', async () => {
      const r = prepRig(() => 'ok');
      const done = r.ts.prepare([7]);
      r.ts.open(7, 'tap10');
      r.ts.close(7);
      r.release();
      await done;
      expect(r.ts.size).toBe(0);
      r.ts.dropSpare();
      expect(r.prepared.get(7)!.closed).toBe(true);
    });
  });
});
