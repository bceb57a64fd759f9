/**
 * Binding writes into a state directory someone else can write (issue 11,
 * sibling of defect 1): whatever is planted — a symbolic link, FIFO or
 * directory at the binding's name, links at the temporary names — the
 * writer never writes through it, never replaces a non-regular file, and
 * its temporary names cannot be guessed from the ones it used before.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnWrites, PersistError, nodeFs, writeBindingFile, type PersistFs } from '../../../src/bindings/persist.js';

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;
const TEXT = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\n';
const VICTIM = 'root:x:0:0::/root:/bin/sh\n';

/** nodeFs that reports every path it creates. */
function recording(names: string[]): PersistFs {
  return { ...nodeFs, open: (p, f, m) => (names.push(basename(p)), nodeFs.open(p, f, m)) };
}

describe('binding writes against planted files', () => {
  let dir = '';
  let victim = '';
  const own = new OwnWrites();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'olk-plant-'));
    victim = join(dir, 'victim');
    writeFileSync(victim, VICTIM);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function refused(): Promise<PersistError> {
    const e = await writeBindingFile(dir, 'tap10', TEXT, { ownWrites: own }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PersistError);
    return e as PersistError;
  }

  it('a symbolic link at the binding name is neither written through nor replaced', async () => {
    symlinkSync(victim, join(dir, 'tap10'));
    const e = await refused();
    expect(e.code).toBe('EEXIST');
    expect(e.step).toBe('check');
    expect(e.message).toContain('symbolic link has that name');
    expect(readlinkSync(join(dir, 'tap10'))).toBe(victim);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
    expect(readdirSync(dir).sort()).toEqual(['tap10', 'victim']); // no temp file left
  });

  it.runIf(hasMkfifo)('a FIFO at the binding name is not replaced', async () => {
    expect(spawnSync('mkfifo', [join(dir, 'tap10')]).status).toBe(0);
    expect((await refused()).message).toContain('FIFO has that name');
    expect(lstatSync(join(dir, 'tap10')).isFIFO()).toBe(true);
  });

  it('a directory at the binding name is reported as such', async () => {
    mkdirSync(join(dir, 'tap10'));
    expect((await refused()).message).toContain('directory has that name');
  });

  it('temporary names are unpredictable: none follows from the one before', async () => {
    const names: string[] = [];
    for (let i = 0; i < 32; i++) await writeBindingFile(dir, 'tap10', TEXT, { fs: recording(names), ownWrites: own });
    const suffixes = names.map((n) => /^\.tap10\.tmp-([0-9a-f]{12})$/.exec(n)![1]!);
    expect(new Set(suffixes).size).toBe(32);
    // A fixed prefix and a counter would let anyone who saw one name plant the next ones.
    expect(new Set(suffixes.map((s) => s.slice(0, 6))).size).toBeGreaterThan(1);
    for (let i = 1; i < suffixes.length; i++) expect(parseInt(suffixes[i]!, 16) - parseInt(suffixes[i - 1]!, 16)).not.toBe(1);
  });

  it('links planted at the names the previous temp name suggests make no write fail and touch no file', async () => {
    const seen: string[] = [];
    await writeBindingFile(dir, 'tap11', TEXT, { fs: recording(seen), ownWrites: own });
    const m = /^\.tap11\.tmp-([0-9a-f]{6})([0-9a-f]{6})$/.exec(seen[0]!)!;
    // Every name a "prefix + counter" scheme would use next, for the next 256 writes.
    for (let k = 1; k <= 256; k++) symlinkSync(victim, join(dir, `.tap10.tmp-${m[1]}${(parseInt(m[2]!, 16) + k).toString(16).padStart(6, '0')}`));
    for (let k = 0; k < 8; k++) await writeBindingFile(dir, 'tap10', TEXT, { ownWrites: own });
    expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(TEXT);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
  });
});
