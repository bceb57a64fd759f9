/**
 * The native layer on sockets any user may open (AF_UNIX datagrams, a
 * read-only NETLINK_ROUTE dump): receive path, callback scope, errors,
 * close-in-callback, worker teardown, sendPacket's length argument; and
 * (root, in a throw-away namespace) closing thousands of AF_PACKET sockets.
 * Receiving on AF_PACKET is covered by namespace.test.ts and the receive
 * group by native-group.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { expectWorkersEnd } from './worker-teardown.js';
import { Assembler, buildOnlinkFilter } from '../../../src/io/bpf.js';
import { LinkMonitor } from '../../../src/io/link-monitor.js';
import {
  AF_UNIX, SOCK_DGRAM, SOL_SOCKET, SO_RCVBUF, errnoName, isSystemError, loadNative,
} from '../../../src/io/native.js';

const n = loadNative();
const ADDON = fileURLToPath(new URL('../../../build/Release/onlinkd_native.node', import.meta.url));
const opened: number[] = [];

function dgram(): number {
  const fd = n.socket(AF_UNIX, SOCK_DGRAM, 0);
  opened.push(fd);
  return fd;
}

/** A receiving socket bound to a fresh abstract name. */
function receiver(): { fd: number; name: string } {
  const fd = dgram();
  const name = `@onlinkd-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  n.bindUnix(fd, name);
  return { fd, name };
}

function closeQuietly(fd: number): void {
  try {
    n.close(fd);
  } catch {
    /* already closed by the test */
  }
}

afterEach(() => {
  while (opened.length) closeQuietly(opened.pop()!);
});

function nextDatagram(fd: number, ms = 2000): Promise<{ err: number; data: Buffer | null; meta: number[] }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no datagram')), ms);
    n.startRecv(fd, (err, data, ...meta) => {
      clearTimeout(t);
      n.stopRecv(fd);
      resolve({ err, data, meta });
    });
  });
}

describe('native addon', () => {
  it('sends to an abstract AF_UNIX name and delivers it with zeroed packet metadata', async () => {
    const r = receiver();
    const s = dgram();
    const got = nextDatagram(r.fd);
    expect(n.sendToUnix(s, r.name, Buffer.from('READY=1'))).toBe(7);
    // '\0name' is the same abstract address as '@name'.
    expect(n.sendToUnix(s, `\0${r.name.slice(1)}`, new Uint8Array([0x21]))).toBe(1);
    const { err, data, meta } = await got;
    expect(err).toBe(0);
    expect(data?.toString()).toBe('READY=1');
    expect(meta).toEqual([0, 0, 0, 0]);
  });

  it('sends to a filesystem AF_UNIX path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onlinkd-native-'));
    try {
      const fd = dgram();
      n.bindUnix(fd, join(dir, 'notify'));
      const got = nextDatagram(fd);
      expect(n.sendToUnix(dgram(), join(dir, 'notify'), Buffer.from('x'))).toBe(1);
      expect((await got).data?.toString()).toBe('x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns -errno from sends instead of throwing', () => {
    const s = dgram();
    expect(errnoName(n.sendToUnix(s, '@onlinkd-test-nobody-listens', Buffer.from('x')))).toBe('ECONNREFUSED');
    expect(errnoName(n.sendToUnix(s, '/nonexistent/onlinkd/sock', Buffer.from('x')))).toBe('ENOENT');
    expect(errnoName(n.sendToUnix(s, `/${'x'.repeat(200)}`, Buffer.from('x')))).toBe('ENAMETOOLONG');
    expect(errnoName(n.send(s, Buffer.from('x')))).toBe('ENOTCONN');
    expect(errnoName(n.sendPacket(s, 1, Buffer.alloc(3)))).toBe('EINVAL');
  });

  it('throws Node-style system errors from setup calls, TypeError for bad arguments', () => {
    let err: unknown;
    try {
      n.close(987654);
    } catch (e) {
      err = e;
    }
    expect(isSystemError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'close' });
    expect(() => n.socket(12345, SOCK_DGRAM, 0)).toThrow(expect.objectContaining({ code: 'EAFNOSUPPORT' }));
    expect(() => n.close(0)).toThrow(/EBADF|Bad file/); // never closes an fd it did not open
    // @ts-expect-error wrong argument type on purpose
    expect(() => n.send('x', Buffer.alloc(1))).toThrow(TypeError);
    // @ts-expect-error missing argument on purpose
    expect(() => n.sendPacket(1, 2)).toThrow(TypeError);
    const fd = dgram();
    n.close(fd);
    expect(() => n.close(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('sets and reads socket options', () => {
    const fd = dgram();
    n.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, 65536);
    const b = n.getsockoptBuffer(fd, SOL_SOCKET, SO_RCVBUF, 4);
    expect(b.length).toBe(4);
    expect(b.readInt32LE(0)).toBeGreaterThanOrEqual(65536); // the kernel doubles it
  });

  it('attaches classic BPF: the kernel verifier accepts the onlink program, and a filter drops datagrams', async () => {
    const r = receiver();
    n.attachFilter(r.fd, buildOnlinkFilter());
    // Only datagrams starting with 'B' pass this one (attaching replaces the first).
    const onlyB = new Assembler().ldb(0).jeq(0x42, 'ok', 'no').label('ok').ret(0x40000).label('no').ret(0).assemble();
    const { encode } = await import('../../../src/io/bpf.js');
    n.attachFilter(r.fd, encode(onlyB));
    const got = nextDatagram(r.fd);
    const s = dgram();
    n.sendToUnix(s, r.name, Buffer.from('A dropped'));
    n.sendToUnix(s, r.name, Buffer.from('B passes'));
    expect((await got).data?.toString()).toBe('B passes');
    expect(() => n.attachFilter(r.fd, Buffer.alloc(7))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('runs nextTick and promise jobs queued by a callback before timers and immediates (callback scope)', async () => {
    const r = receiver();
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      n.startRecv(r.fd, () => {
        order.push('callback');
        setImmediate(() => {
          order.push('immediate');
          resolve();
        });
        process.nextTick(() => order.push('tick'));
        void Promise.resolve().then(() => order.push('promise'));
      });
    });
    n.sendToUnix(dgram(), r.name, Buffer.from('x'));
    await done;
    expect(order).toEqual(['callback', 'tick', 'promise', 'immediate']);
  });

  it('drains queued datagrams in one wake-up and survives close() from inside the callback', async () => {
    const r = receiver();
    const s = dgram();
    // net.unix.max_dgram_qlen (often 10) bounds how many can be queued.
    for (let i = 0; i < 8; i++) expect(n.sendToUnix(s, r.name, Buffer.from(String(i)))).toBeGreaterThan(0);
    let count = 0;
    await new Promise<void>((resolve) => {
      n.startRecv(r.fd, () => {
        if (++count === 4) {
          n.close(r.fd); // frees the poll handle later; no further callbacks
          setTimeout(resolve, 50);
        }
      });
    });
    expect(count).toBe(4);
    opened.splice(opened.indexOf(r.fd), 1);
  });

  it('refuses a second receiver on one fd, and can restart after stopRecv', async () => {
    const r = receiver();
    n.startRecv(r.fd, () => {});
    expect(() => n.startRecv(r.fd, () => {})).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    n.stopRecv(r.fd);
    const got = nextDatagram(r.fd);
    n.sendToUnix(dgram(), r.name, Buffer.from('again'));
    expect((await got).data?.toString()).toBe('again');
  });

  it('hands an exception thrown by a callback to uncaughtException and keeps receiving', () => {
    const script = `
      const n = require(${JSON.stringify(ADDON)});
      process.on('uncaughtException', (e) => console.log('caught ' + e.message));
      const r = n.socket(1, 2, 0), s = n.socket(1, 2, 0), name = '@onlinkd-throw-' + process.pid;
      n.bindUnix(r, name);
      let k = 0;
      n.startRecv(r, (err, data) => {
        console.log('got ' + data);
        if (++k === 1) throw new Error('boom');
        n.close(r); n.close(s);
      });
      n.sendToUnix(s, name, Buffer.from('one'));
      setTimeout(() => n.sendToUnix(s, name, Buffer.from('two')), 50);`;
    const out = execFileSync(process.execPath, ['-e', script], { timeout: 10_000 }).toString();
    expect(out.trim().split('\n')).toEqual(['got one', 'caught boom', 'got two']);
  });

  it('closes its sockets and poll handles when a worker thread ends', async () => {
    await expectWorkersEnd(ADDON, `
      n.startRecv(fd, () => {});
      n.socket(1, 2, 0);`);
    // The main thread's instance is unaffected.
    const r = receiver();
    const got = nextDatagram(r.fd);
    n.sendToUnix(dgram(), r.name, Buffer.from('still here'));
    expect((await got).data?.toString()).toBe('still here');
  });

  it('maps interface names and indexes', () => {
    expect(n.ifNameToIndex('lo')).toBe(1);
    expect(n.ifIndexToName(1)).toBe('lo');
    expect(n.ifNameToIndex('no-such-if0')).toBe(0);
    expect(n.ifNameToIndex('x'.repeat(40))).toBe(0);
    expect(n.ifIndexToName(0x7ffffff0)).toBeUndefined();
  });

  it('LinkMonitor dumps the current namespace (read-only) and closes cleanly', async () => {
    const m = LinkMonitor.open();
    try {
      await Promise.race([m.ready, new Promise((_, reject) => setTimeout(() => reject(new Error('no dump')), 5000))]);
      expect(m.byName('lo')).toMatchObject({ ifindex: 1, up: true });
      expect(m.byIndex(1)?.name).toBe('lo');
    } finally {
      m.close();
    }
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
