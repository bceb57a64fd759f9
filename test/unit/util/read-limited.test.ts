/**
 * Files someone else may control (binding files, the server DUID, the
 * config) are read with a size bound, only when they are regular files, and
 * never through a symbolic link unless the caller chose the path (issue 6
 * item 3, issue 11): a FIFO or device swapped in under a name must neither
 * block the event loop nor be read, and a link must not make the daemon
 * read a file elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileKind, readLimitedSync } from '../../../src/util/read-limited.js';

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

describe('readLimitedSync', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'olk-read-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads at most the limit, and a small file whole with its identity', () => {
    writeFileSync(join(dir, 'tap10'), 'x'.repeat(100_000));
    const big = readLimitedSync(join(dir, 'tap10'), 1000)!;
    expect(big.text.length).toBe(1000);
    expect(big.size).toBe(1000);
    writeFileSync(join(dir, 'tap11'), 'MAC=aa:00:00:00:00:11\n');
    const r = readLimitedSync(join(dir, 'tap11'), 1000)!;
    expect(r.text).toBe('MAC=aa:00:00:00:00:11\n');
    expect(r.size).toBe(22);
    expect(r.stat.size).toBe(22);
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

  it('followLinks (an operator-chosen path) follows a link to a regular file, still refuses a device behind one', () => {
    writeFileSync(join(dir, 'real.conf'), '[general]\n');
    symlinkSync(join(dir, 'real.conf'), join(dir, 'link.conf'));
    expect(readLimitedSync(join(dir, 'link.conf'), 1000, { followLinks: true })!.text).toBe('[general]\n');
    symlinkSync('/dev/zero', join(dir, 'zero.conf'));
    expect(readLimitedSync(join(dir, 'zero.conf'), 1000, { followLinks: true })).toBeUndefined();
    expect(readLimitedSync('/dev/zero', 1000, { followLinks: true })).toBeUndefined();
  });

  it('skip sees the fstat of the open file and stops before reading', () => {
    writeFileSync(join(dir, 'tap10'), 'MAC=aa:00:00:00:00:10\n');
    let seen = -1;
    expect(readLimitedSync(join(dir, 'tap10'), 1000, { skip: (st) => ((seen = st.size), true) })).toBeUndefined();
    expect(seen).toBe(22);
  });

  it('fileKind names what a stat describes', () => {
    expect(fileKind(lstatSync('/dev/null'))).toBe('device');
    expect(fileKind(lstatSync(dir))).toBe('directory');
    symlinkSync('/dev/null', join(dir, 'l'));
    expect(fileKind(lstatSync(join(dir, 'l')))).toBe('symbolic link');
    writeFileSync(join(dir, 'f'), '');
    expect(fileKind(lstatSync(join(dir, 'f')))).toBe('regular file');
  });
});
