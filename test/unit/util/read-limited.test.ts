/**
 * Binding files are read with a size bound, only when they are regular
 * files, and never through a symbolic link (issue 6 item 3): a FIFO or
 * device swapped in under a binding file's name must neither block the
 * event loop nor be read, and a link must not make the daemon read a file
 * elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLimitedSync } from '../../../src/bindings/directory.js';

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

describe('readLimitedSync', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'olk-read-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads at most the limit, and a small file whole with its identity', () => {
    writeFileSync(join(dir, 'tap10'), 'x'.repeat(100_000));
    expect(readLimitedSync(join(dir, 'tap10'), 1000)!.text.length).toBe(1000);
    writeFileSync(join(dir, 'tap11'), 'MAC=aa:00:00:00:00:11\n');
    const r = readLimitedSync(join(dir, 'tap11'), 1000)!;
    expect(r.text).toBe('MAC=aa:00:00:00:00:11\n');
    expect(r.id.size).toBe(22);
  });

  it.runIf(hasMkfifo)('does not block on a FIFO and reads nothing from it', () => {
    const fifo = join(dir, 'tap10');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(readLimitedSync(fifo, 1000)).toBeUndefined();
  });

  it('never follows a symbolic link: to a device, to a regular file elsewhere', () => {
    symlinkSync('/dev/zero', join(dir, 'tap10'));
    expect(() => readLimitedSync(join(dir, 'tap10'), 1000)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    writeFileSync(join(dir, 'secret'), 'MAC=aa:00:00:00:00:12\n');
    symlinkSync(join(dir, 'secret'), join(dir, 'tap12'));
    expect(() => readLimitedSync(join(dir, 'tap12'), 1000)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});
