import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SdNotify } from '../../../src/io/sd-notify.js';
import { AF_UNIX, SOCK_DGRAM, loadNative } from '../../../src/io/native.js';

/** A fake systemd: a bound AF_UNIX datagram socket collecting what is sent to it. */
function fakeSystemd(path: string) {
  const native = loadNative();
  const fd = native.socket(AF_UNIX, SOCK_DGRAM, 0);
  native.bindUnix(fd, path);
  const got: string[] = [];
  native.startRecv(fd, (err: number, data: Buffer | null) => {
    if (!err && data) got.push(data.toString());
  });
  return { got, close: () => native.close(fd) };
}

async function until(cond: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('sd_notify', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('is a no-op outside systemd', () => {
    const n = new SdNotify({});
    expect(n.enabled).toBe(false);
    expect(n.ready('x')).toBeUndefined();
  });

  for (const kind of ['path', 'abstract'] as const) {
    it(`sends READY/STATUS/STOPPING to a ${kind} NOTIFY_SOCKET, and watchdog pings`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'olk-notify-'));
      const path = kind === 'path' ? join(dir, 'notify') : `@olk-notify-${process.pid}-${Math.random().toString(16).slice(2)}`;
      const sys = fakeSystemd(path);
      cleanups.push(() => {
        sys.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const n = new SdNotify({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '1000000' });
      expect(n.watchdogMs).toBe(1000);
      expect(n.ready('serving 3 taps')).toBeUndefined();
      await until(() => sys.got.length >= 1);
      expect(sys.got[0]).toContain('READY=1');
      expect(sys.got[0]).toContain('STATUS=serving 3 taps');
      await until(() => sys.got.some((g) => g === 'WATCHDOG=1'), 3000);
      n.stopping();
      await until(() => sys.got.includes('STOPPING=1'));
    });
  }

  it('reports a missing socket as an errno name, never a throw', () => {
    const n = new SdNotify({ NOTIFY_SOCKET: '/nonexistent/notify' });
    expect(n.notify({ STATUS: 'x' })).toBe('ENOENT');
    n.close();
  });
});
