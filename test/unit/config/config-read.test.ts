/**
 * The configuration file is read like every other file onlinkd does not
 * own (issue 11, sibling of defect 2): the path is the operator's choice,
 * so a symbolic link is followed, but only a regular file of bounded size
 * is read. A FIFO must give a clear error, not hang start-up (or a SIGHUP
 * reload), and /dev/zero must not eat memory. The node:fs guard
 * (test/helpers/fs-guard.ts) makes a read of either fail fast.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONFIG_FILE_SIZE, loadConfig } from '../../../src/config/config.js';

const guard = vi.hoisted(() => ({ nonRegularReads: [] as string[] }));
vi.mock('node:fs', async (orig) => (await import('../../helpers/fs-guard.js')).guardedFs(await orig(), guard.nonRegularReads));

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

describe('config file reading', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'olk-conf-'));
    guard.nonRegularReads.length = 0;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(guard.nonRegularReads).toEqual([]);
  });

  it.runIf(hasMkfifo)('a FIFO is a clear error at once, never read', () => {
    const fifo = join(dir, 'onlinkd.conf');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const t0 = Date.now();
    expect(() => loadConfig(fifo)).toThrow(`${fifo}: cannot read: not a regular file`);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('/dev/zero, directly or through a link, is a clear error, never read', () => {
    expect(() => loadConfig('/dev/zero')).toThrow('/dev/zero: cannot read: not a regular file');
    symlinkSync('/dev/zero', join(dir, 'zero.conf'));
    expect(() => loadConfig(join(dir, 'zero.conf'))).toThrow('cannot read: not a regular file');
    expect(() => loadConfig(dir)).toThrow('cannot read: not a regular file'); // a directory
  });

  it('a file larger than the limit is refused; one at the limit is read', () => {
    const big = join(dir, 'big.conf');
    writeFileSync(big, `[general]\n${'#'.repeat(MAX_CONFIG_FILE_SIZE)}\n`);
    expect(() => loadConfig(big)).toThrow(`cannot read: larger than ${MAX_CONFIG_FILE_SIZE} bytes`);
    const edge = join(dir, 'edge.conf');
    writeFileSync(edge, `[general]\n${'#'.repeat(MAX_CONFIG_FILE_SIZE - 11)}\n`);
    expect(loadConfig(edge).source).toBe(edge);
  });

  it('a symbolic link to a regular file is followed (the operator chose the path)', () => {
    writeFileSync(join(dir, 'real.conf'), '[general]\nlog_level = warn\n');
    symlinkSync(join(dir, 'real.conf'), join(dir, 'onlinkd.conf'));
    expect(loadConfig(join(dir, 'onlinkd.conf')).settings.general.logLevel).toBe('warn');
  });
});
