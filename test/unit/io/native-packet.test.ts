/**
 * sendPacket's length argument (on AF_UNIX datagrams any user may open) and
 * closing thousands of AF_PACKET sockets without the kernel's per-socket
 * wait (root). Receiving is tested in native-group.test.ts (the receive
 * group) and namespace.test.ts (through PacketSocket).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AF_UNIX, SOCK_DGRAM, errnoName, loadNative } from '../../../src/io/native.js';

const n = loadNative();
const ADDON = fileURLToPath(new URL('../../../build/Release/onlinkd_native.node', import.meta.url));
const opened: number[] = [];

function dgram(): number {
  const fd = n.socket(AF_UNIX, SOCK_DGRAM, 0);
  opened.push(fd);
  return fd;
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
