/**
 * A regular file at the socket path is named as what it is (issue 16, item
 * 7), not reported as a stale socket left by a dead daemon.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlClientError, request } from '../../../src/control/client.js';
import { AF_UNIX, loadNative } from '../../../src/io/native.js';

const SOCK_STREAM = 1;

const dir = mkdtempSync(join(tmpdir(), 'onl16-sock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (p: string) => request(p, 'version-get', undefined, { timeoutMs: 2000 }).then(() => undefined, (e: unknown) => e as ControlClientError);

describe('onlinkctl on a path that is not a socket', () => {
  it('a regular file: says so, not "stale socket"', async () => {
    const p = join(dir, 'file.sock');
    writeFileSync(p, 'x');
    const e = await failure(p);
    expect(e).toBeInstanceOf(ControlClientError);
    expect(e!.message).toBe(`${p} is a regular file, not a socket: onlinkd never made it (remove it, or check --socket / ONLINKD_SOCKET)`);
    expect(e!.message).not.toMatch(/stale/);
  });

  it('an empty file and a directory are named too', async () => {
    const f = join(dir, 'empty.sock');
    writeFileSync(f, '');
    expect((await failure(f))!.message).toMatch(/is an empty regular file, not a socket/);
    const d = join(dir, 'dir.sock');
    mkdirSync(d);
    expect((await failure(d))!.message).toMatch(/not a socket/);
  });

  it('a socket nobody listens on is still reported as a daemon not running', async () => {
    const n = loadNative();
    const fd = n.socket(AF_UNIX, SOCK_STREAM, 0);
    const p = join(dir, 'stale.sock');
    n.bindUnix(fd, p);
    n.close(fd);
    const e = await failure(p);
    expect(e).toMatchObject({ code: 'ECONNREFUSED' });
    expect(e!.message).toMatch(/onlinkd is not running/);
  });
});
