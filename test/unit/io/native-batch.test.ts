/**
 * Batched receive (startRecvBatch: recvmmsg into a JS-owned ring, one
 * callback per batch) and sendPacket's length argument, on AF_UNIX
 * datagrams any user may open. The AF_PACKET side (ifindex, pkttype,
 * auxdata) runs in namespace.test.ts through PacketSocket.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { expectWorkersEnd } from './worker-teardown.js';
import { AF_UNIX, RECV_META, RECV_META_FIELDS, RECV_TRUNCATED, SOCK_DGRAM, errnoName, loadNative } from '../../../src/io/native.js';

const n = loadNative();
const ADDON = fileURLToPath(new URL('../../../build/Release/onlinkd_native.node', import.meta.url));
const opened: number[] = [];

function dgram(): number {
  const fd = n.socket(AF_UNIX, SOCK_DGRAM, 0);
  opened.push(fd);
  return fd;
}

function receiver(): { fd: number; name: string } {
  const fd = dgram();
  const name = `@onlinkd-batch-${process.pid}-${randomBytes(4).toString('hex')}`;
  n.bindUnix(fd, name);
  return { fd, name };
}

afterEach(() => {
  while (opened.length) {
    try {
      n.close(opened.pop()!);
    } catch {
      /* closed by the test */
    }
  }
});

interface Got {
  text: string;
  length: number;
  offset: number;
  ifindex: number;
  flags: number;
}

/** Collects frames from batches until `want` have arrived; also returns the batch sizes. */
function collect(fd: number, ring: Uint8Array, meta: Int32Array, slot: number, want: number, ms = 2000): Promise<{ frames: Got[]; batches: number[] }> {
  return new Promise((resolve, reject) => {
    const frames: Got[] = [];
    const batches: number[] = [];
    const t = setTimeout(() => reject(new Error(`only ${frames.length} of ${want} frames`)), ms);
    n.startRecvBatch(fd, ring, meta, slot, (count) => {
      batches.push(count);
      for (let i = 0; i < count; i++) {
        const m = i * RECV_META_FIELDS;
        const offset = meta[m + RECV_META.offset]!;
        const length = meta[m + RECV_META.length]!;
        frames.push({
          text: Buffer.from(ring.buffer, ring.byteOffset + offset, length).toString(),
          length,
          offset,
          ifindex: meta[m + RECV_META.ifindex]!,
          flags: meta[m + RECV_META.flags]!,
        });
      }
      if (frames.length >= want) {
        clearTimeout(t);
        n.stopRecv(fd);
        resolve({ frames, batches });
      }
    });
  });
}

describe('native addon: batched receive', () => {
  it('reads queued datagrams in batches of at most the ring size, in order, into their slots', async () => {
    const r = receiver();
    const s = dgram();
    for (let i = 0; i < 8; i++) expect(n.sendToUnix(s, r.name, Buffer.from(`frame-${i}`))).toBeGreaterThan(0);
    const slot = 64;
    const ring = new Uint8Array(slot * 3); // 3 slots: batches of 3, 3, 2
    const meta = new Int32Array(RECV_META_FIELDS * 16);
    const { frames, batches } = await collect(r.fd, ring, meta, slot, 8);
    expect(frames.map((f) => f.text)).toEqual(Array.from({ length: 8 }, (_, i) => `frame-${i}`));
    expect(batches).toEqual([3, 3, 2]);
    expect(frames.slice(0, 3).map((f) => f.offset)).toEqual([0, 64, 128]);
    expect(frames.every((f) => f.ifindex === 0 && f.flags === 0)).toBe(true);
  });

  it('flags a datagram longer than a slot as truncated, and keeps going', async () => {
    const r = receiver();
    const s = dgram();
    n.sendToUnix(s, r.name, Buffer.alloc(200, 0x41));
    n.sendToUnix(s, r.name, Buffer.from('short'));
    const { frames } = await collect(r.fd, new Uint8Array(64 * 4), new Int32Array(RECV_META_FIELDS * 4), 64, 2);
    expect(frames[0]!.flags & RECV_TRUNCATED).toBe(RECV_TRUNCATED);
    expect(frames[0]!.length).toBe(64);
    expect(frames[1]).toMatchObject({ text: 'short', flags: 0 });
  });

  it('lets several sockets share one ring (frames are valid during their callback)', async () => {
    const a = receiver();
    const b = receiver();
    const ring = new Uint8Array(128 * 8);
    const meta = new Int32Array(RECV_META_FIELDS * 8);
    const s = dgram();
    const got = Promise.all([collect(a.fd, ring, meta, 128, 2), collect(b.fd, ring, meta, 128, 2)]);
    n.sendToUnix(s, a.name, Buffer.from('a1'));
    n.sendToUnix(s, b.name, Buffer.from('b1'));
    n.sendToUnix(s, a.name, Buffer.from('a2'));
    n.sendToUnix(s, b.name, Buffer.from('b2'));
    const [ga, gb] = await got;
    expect(ga.frames.map((f) => f.text)).toEqual(['a1', 'a2']);
    expect(gb.frames.map((f) => f.text)).toEqual(['b1', 'b2']);
  });

  it('stops at once when the callback closes the socket', async () => {
    const r = receiver();
    const s = dgram();
    for (let i = 0; i < 6; i++) n.sendToUnix(s, r.name, Buffer.from(String(i)));
    let calls = 0;
    await new Promise<void>((resolve) => {
      n.startRecvBatch(r.fd, new Uint8Array(64 * 2), new Int32Array(RECV_META_FIELDS * 2), 64, () => {
        calls++;
        n.close(r.fd);
        setTimeout(resolve, 50);
      });
    });
    expect(calls).toBe(1);
    opened.splice(opened.indexOf(r.fd), 1);
  });

  it('refuses bad arguments', () => {
    const r = receiver();
    const meta = new Int32Array(RECV_META_FIELDS);
    // @ts-expect-error wrong type on purpose
    expect(() => n.startRecvBatch(r.fd, [1, 2], meta, 64, () => {})).toThrow(TypeError);
    // @ts-expect-error wrong type on purpose
    expect(() => n.startRecvBatch(r.fd, new Uint8Array(64), new Uint32Array(8), 64, () => {})).toThrow(TypeError);
    expect(() => n.startRecvBatch(r.fd, new Uint8Array(64), meta, 16, () => {})).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => n.startRecvBatch(r.fd, new Uint8Array(32), meta, 64, () => {})).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => n.startRecvBatch(r.fd, new Uint8Array(64), new Int32Array(4), 64, () => {})).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    // @ts-expect-error wrong type on purpose
    expect(() => n.startRecvBatch(r.fd, new Uint8Array(64), meta, 64, 'cb')).toThrow(TypeError);
    n.startRecvBatch(r.fd, new Uint8Array(64), meta, 64, () => {});
    expect(() => n.startRecvBatch(r.fd, new Uint8Array(64), meta, 64, () => {})).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(() => n.startRecvBatch(987654, new Uint8Array(64), meta, 64, () => {})).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('hands an exception thrown by a batch callback to uncaughtException and keeps receiving', () => {
    const script = `
      const n = require(${JSON.stringify(ADDON)});
      process.on('uncaughtException', (e) => console.log('caught ' + e.message));
      const r = n.socket(1, 2, 0), s = n.socket(1, 2, 0), name = '@onlinkd-batch-throw-' + process.pid;
      n.bindUnix(r, name);
      const ring = new Uint8Array(256), meta = new Int32Array(8 * 4);
      let k = 0;
      n.startRecvBatch(r, ring, meta, 64, (count) => {
        console.log('got ' + Buffer.from(ring.buffer, meta[0], meta[1]));
        if (++k === 1) throw new Error('boom');
        n.close(r); n.close(s);
      });
      n.sendToUnix(s, name, Buffer.from('one'));
      setTimeout(() => n.sendToUnix(s, name, Buffer.from('two')), 50);`;
    const out = execFileSync(process.execPath, ['-e', script], { timeout: 10_000 }).toString();
    expect(out.trim().split('\n')).toEqual(['got one', 'caught boom', 'got two']);
  });

  it('releases batch pollers when a worker thread ends', async () => {
    await expectWorkersEnd(ADDON, `n.startRecvBatch(fd, new Uint8Array(1024), new Int32Array(64), 256, () => {});`);
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('native addon: closing AF_PACKET sockets (root, in a throw-away namespace)', () => {
  it('never blocks on the kernel\'s per-socket RCU wait: 1024 closes return at once, and exit is quick', () => {
    // Every AF_PACKET close() waits for an RCU grace period (~12 ms here): serially, 1024 sockets took 14 s.
    const ns = `olk-io-close-${process.pid}-${randomBytes(3).toString('hex')}`;
    const script = `
      const n = require(${JSON.stringify(ADDON)});
      const fds = [];
      for (let i = 0; i < 1024; i++) fds.push(n.socket(17, 3, 0)); // AF_PACKET, SOCK_RAW, protocol 0: receives nothing
      const t = Date.now();
      for (const fd of fds.slice(0, 512)) n.close(fd);
      console.log(Date.now() - t);
      // The other 512 stay open: the exit path must close them in parallel too.`;
    execFileSync('ip', ['netns', 'add', ns], { timeout: 10_000 });
    try {
      const t0 = Date.now();
      const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { timeout: 60_000 }).toString();
      const total = Date.now() - t0;
      expect(Number(out.trim())).toBeLessThan(500);
      expect(total).toBeLessThan(5_000);
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    }
  });
});

describe('native addon: sendPacket length', () => {
  it('sends only `length` bytes of the buffer and refuses a length beyond it or under an Ethernet header', () => {
    const s = dgram(); // not AF_PACKET: the length checks come first, the send then fails with the socket's errno
    const frame = new Uint8Array(100);
    expect(errnoName(n.sendPacket(s, 1, frame, 101))).toBe('EINVAL');
    expect(errnoName(n.sendPacket(s, 1, frame, 13))).toBe('EINVAL');
    expect(n.sendPacket(s, 1, frame, 60)).toBeLessThan(0); // AF_UNIX cannot take a sockaddr_ll
    expect(n.sendPacket(s, 1, frame, undefined)).toBeLessThan(0);
    // @ts-expect-error wrong type on purpose
    expect(() => n.sendPacket(s, 1, frame, 'x')).toThrow(TypeError);
  });
});
