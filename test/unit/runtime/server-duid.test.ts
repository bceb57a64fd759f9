/**
 * The server DUID file lives in the state directory, which hooks and other
 * tools can write (issue 11, defects 1 and 2). Whatever someone plants there
 * — a symbolic link at the old predictable temp name or at `.server-duid`,
 * a FIFO, a link to /dev/zero, a directory, a huge file — onlinkd (often
 * root) must never write through it, never replace a non-regular file,
 * never block and never read more than a DUID's worth.
 *
 * A guard on node:fs (test/helpers/fs-guard.ts) turns any read of a
 * non-regular file into a recorded failure, so the attacks that would hang
 * (FIFO) or eat memory without bound (/dev/zero) fail fast and visibly if
 * the code ever reads them.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { removeStaleTempFiles } from '../../../src/bindings/persist.js';
import { MAX_SERVER_DUID_FILE_SIZE, SERVER_DUID_FILE, loadOrCreateServerDuid } from '../../../src/runtime/server-duid.js';
import { decodeDuid } from '../../../src/wire/duid.js';

const guard = vi.hoisted(() => ({ nonRegularReads: [] as string[] }));

vi.mock('node:fs', async (orig) => (await import('../../helpers/fs-guard.js')).guardedFs(await orig(), guard.nonRegularReads));

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;
const VALID_HEX = '00030001aa0000000099'; // DUID-LL, Ethernet, aa:00:00:00:00:99

describe('server DUID file', () => {
  let dir = '';
  let path = '';
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
  const warnings = (): string[] => logs.filter((l) => l.level === 40).map((l) => `${String(l.msg)} ${String(l.reason ?? '')} ${String(l.err ?? '')}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'olk-duid-'));
    path = join(dir, SERVER_DUID_FILE);
    logs.length = 0;
    guard.nonRegularReads.length = 0;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(guard.nonRegularReads).toEqual([]); // every test: nothing but regular files was ever read
  });

  it('creates a DUID-LL once, keeps it across starts, and leaves no temporary file', async () => {
    const a = await loadOrCreateServerDuid(dir, log);
    expect(decodeDuid(a).ok).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${Buffer.from(a).toString('hex')}\n`);
    expect(readdirSync(dir)).toEqual([SERVER_DUID_FILE]);
    const b = await loadOrCreateServerDuid(dir, log);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(warnings()).toEqual([]);
  });

  it('a symbolic link at the old predictable temp name (.server-duid.tmp-<pid>) does not make it write the victim', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'root:x:0:0::/root:/bin/sh\n');
    const planted = join(dir, `${SERVER_DUID_FILE}.tmp-${process.pid}`);
    symlinkSync(victim, planted);
    const duid = await loadOrCreateServerDuid(dir, log);
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(lstatSync(path).isFile()).toBe(true); // a regular file of ours, not the planted link renamed
    expect(readFileSync(path, 'utf8')).toBe(`${Buffer.from(duid).toString('hex')}\n`);
    expect(readlinkSync(planted)).toBe(victim);
  });

  it('a symbolic link at .server-duid is neither followed nor replaced: a fresh DUID for this run, with warnings', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, `${VALID_HEX}\n`); // a valid DUID: following the link would adopt it
    symlinkSync(victim, path);
    const duid = await loadOrCreateServerDuid(dir, log);
    expect(Buffer.from(duid).toString('hex')).not.toBe(VALID_HEX);
    expect(readlinkSync(path)).toBe(victim);
    expect(readFileSync(victim, 'utf8')).toBe(`${VALID_HEX}\n`);
    const w = warnings();
    expect(w.some((s) => s.includes('not usable') && s.includes('symbolic link'))).toBe(true);
    expect(w.some((s) => s.includes('it will change at the next start') && s.includes('symbolic link has that name'))).toBe(true);
  });

  it('a symbolic link to /dev/zero is refused without reading it', async () => {
    symlinkSync('/dev/zero', path);
    const t0 = Date.now();
    const duid = await loadOrCreateServerDuid(dir, log);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(decodeDuid(duid).ok).toBe(true);
    expect(readlinkSync(path)).toBe('/dev/zero');
    expect(warnings().some((s) => s.includes('symbolic link'))).toBe(true);
  });

  it.runIf(hasMkfifo)('a FIFO at .server-duid neither blocks start-up nor is replaced', async () => {
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    const t0 = Date.now();
    const duid = await loadOrCreateServerDuid(dir, log);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(decodeDuid(duid).ok).toBe(true);
    expect(lstatSync(path).isFIFO()).toBe(true);
    const w = warnings();
    expect(w.some((s) => s.includes('not a regular file'))).toBe(true);
    expect(w.some((s) => s.includes('FIFO has that name'))).toBe(true);
  });

  it('a directory at .server-duid is left alone', async () => {
    mkdirSync(path);
    expect(decodeDuid(await loadOrCreateServerDuid(dir, log)).ok).toBe(true);
    expect(lstatSync(path).isDirectory()).toBe(true);
    expect(warnings().some((s) => s.includes('directory has that name'))).toBe(true);
  });

  it('a regular file that is too large or not a DUID is read at most to the limit, logged and replaced', async () => {
    writeFileSync(path, `${VALID_HEX}\n${'0'.repeat(4 * 1024 * 1024)}`); // a valid DUID first: only a bounded read refuses it
    const a = await loadOrCreateServerDuid(dir, log);
    expect(Buffer.from(a).toString('hex')).not.toBe(VALID_HEX);
    expect(warnings().some((s) => s.includes(`larger than ${MAX_SERVER_DUID_FILE_SIZE} bytes`))).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${Buffer.from(a).toString('hex')}\n`);

    for (const junk of ['hello\n', '0003\n', `${VALID_HEX}0\n`, '\n']) {
      writeFileSync(path, junk);
      logs.length = 0;
      const b = await loadOrCreateServerDuid(dir, log);
      expect(warnings().some((s) => s.includes('valid DUID'))).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe(`${Buffer.from(b).toString('hex')}\n`);
    }
    writeFileSync(path, `${VALID_HEX.toUpperCase()}\r\n`); // what an editor may leave: still the same DUID
    expect(Buffer.from(await loadOrCreateServerDuid(dir, log)).toString('hex')).toBe(VALID_HEX);
  });

  it('a write killed before its rename leaves a temp file that the start-up cleanup recognises', async () => {
    let tmp: string | undefined;
    const { nodeFs } = await import('../../../src/bindings/persist.js');
    await loadOrCreateServerDuid(dir, log, {
      fs: {
        ...nodeFs,
        open: (p, f, m) => ((tmp = p), nodeFs.open(p, f, m)),
        rename: async () => Promise.reject(Object.assign(new Error('killed'), { code: 'EIO' })),
        unlink: async () => undefined, // killed before the cleanup: the temp file stays
      },
    });
    expect(tmp).toBeDefined();
    const name = tmp!.slice(dir.length + 1);
    expect(readdirSync(dir)).toEqual([name]);
    expect(await removeStaleTempFiles(dir, Date.now() + 1_000)).toEqual([name]);
  });
});
