/**
 * Binding files are read with a size bound and only when they are regular
 * files (issue 6 item 3): a FIFO (or a device) swapped in under a binding
 * file's name must neither block a libuv thread nor be read.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLimited } from '../../../src/bindings/directory.js';

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

describe('readLimited', () => {
  it('reads at most the limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'olk-read-'));
    try {
      writeFileSync(join(dir, 'tap10'), 'x'.repeat(100_000));
      expect((await readLimited(join(dir, 'tap10'), 1000)).length).toBe(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(hasMkfifo)('refuses a FIFO at once instead of blocking on open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'olk-read-'));
    try {
      const fifo = join(dir, 'tap10');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const t0 = Date.now();
      await expect(readLimited(fifo, 1000)).rejects.toMatchObject({ code: 'EINVAL' });
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a character device (a symlink to /dev/zero) instead of reading it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'olk-read-'));
    try {
      symlinkSync('/dev/zero', join(dir, 'tap10'));
      await expect(readLimited(join(dir, 'tap10'), 1000)).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
