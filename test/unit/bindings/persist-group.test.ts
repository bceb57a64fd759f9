/**
 * Group commit and own-write records of writeBindingFile: writes in flight
 * together share directory fsyncs, yet none returns before a directory fsync
 * that started after its rename; a failed directory fsync fails every write
 * that waited for it; and every file written is recorded (pending, then
 * durable) under the identity the directory watcher will see.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OwnWrites, identityOf, nodeFs, sameIdentity, writeBindingFile, type PersistFs } from '../../../src/bindings/persist.js';

const TEXT = (i: number) => `MAC=aa:00:00:00:00:${(i % 100).toString().padStart(2, '0')}\n`;

/** nodeFs whose directory fsyncs wait for the test to release them, with a log of every step. */
function gatedFs(log: string[]): { fs: PersistFs; release: (err?: string) => void; started: () => number } {
  const gates: Array<(err?: string) => void> = [];
  let dirSyncs = 0;
  const fs: PersistFs = {
    ...nodeFs,
    rename: async (a, b) => {
      log.push(`rename ${b.split('/').pop()}`);
      return nodeFs.rename(a, b);
    },
    openDir: async (p) => {
      const fh = await nodeFs.openDir(p);
      return {
        ...fh,
        sync: () => {
          const n = ++dirSyncs;
          log.push(`dir-fsync ${n} start`);
          return new Promise<void>((resolve, reject) => {
            gates.push((err) => {
              log.push(`dir-fsync ${n} end`);
              if (err) reject(Object.assign(new Error(err), { code: err }));
              else resolve();
            });
          });
        },
        close: () => fh.close(),
      };
    },
  };
  return { fs, release: (err) => gates.shift()?.(err), started: () => dirSyncs };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
};

/** A fresh state directory for every test of this file. */
let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'onlinkd-persist-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeBindingFile: group commit', () => {

  it('writes arriving during a directory fsync share the next one, and none is acknowledged before a fsync after its rename', async () => {
    const log: string[] = [];
    const g = gatedFs(log);
    const own = new OwnWrites();
    const acked: string[] = [];
    const write = (tap: string, i: number) =>
      writeBindingFile(dir, tap, TEXT(i), { fs: g.fs, ownWrites: own }).then(() => {
        acked.push(tap);
        log.push(`ack ${tap}`);
      });

    const first = write('tap0', 0);
    await until(() => g.started() === 1); // tap0's directory fsync is in flight
    const rest = Array.from({ length: 10 }, (_, i) => write(`tap${i + 1}`, i + 1));
    await until(() => log.filter((l) => l.startsWith('rename')).length === 11);
    expect(acked).toEqual([]); // renamed, but nothing is durable yet
    expect(g.started()).toBe(1); // the ten wait: they do not join a fsync that began before their rename

    g.release(); // fsync 1 ends: tap0 only
    await first;
    expect(acked).toEqual(['tap0']);
    await until(() => g.started() === 2); // one fsync for all ten
    expect(acked).toEqual(['tap0']);
    g.release();
    await Promise.all(rest);
    expect(g.started()).toBe(2);
    expect(acked).toHaveLength(11);
    // Every acknowledgement comes after a directory fsync that started after that file's rename.
    for (let i = 0; i <= 10; i++) {
      const renamed = log.indexOf(`rename tap${i}`);
      const ack = log.indexOf(`ack tap${i}`);
      const syncStart = log.findIndex((l, k) => k > renamed && /^dir-fsync \d+ start$/.test(l));
      const syncEnd = log.indexOf(log[syncStart]!.replace('start', 'end'));
      expect(syncStart).toBeGreaterThan(renamed);
      expect(ack).toBeGreaterThan(syncEnd);
      expect(readFileSync(join(dir, `tap${i}`), 'utf8')).toBe(TEXT(i));
    }
  });

  it('a failed directory fsync fails every write of its batch; the next batch is unaffected', async () => {
    const log: string[] = [];
    const g = gatedFs(log);
    const own = new OwnWrites();
    const opts = { fs: g.fs, ownWrites: own };
    const first = writeBindingFile(dir, 'tap0', TEXT(0), opts);
    await until(() => g.started() === 1);
    const batch = [1, 2, 3].map((i) => writeBindingFile(dir, `tap${i}`, TEXT(i), opts).then(() => 'ok', (e: { code: string; step: string }) => `${e.code} ${e.step}`));
    await until(() => log.filter((l) => l.startsWith('rename')).length === 4);
    g.release();
    await first;
    await until(() => g.started() === 2);
    g.release('EIO');
    expect(await Promise.all(batch)).toEqual(['EIO fsync-dir', 'EIO fsync-dir', 'EIO fsync-dir']);
    const later = writeBindingFile(dir, 'tap4', TEXT(4), opts);
    await until(() => g.started() === 3);
    g.release();
    await expect(later).resolves.toBeUndefined();
    // A failed write is no longer "ours": the watcher reads that file like anyone else's.
    expect(own.match(join(dir, 'tap1'), identityOf(statSync(join(dir, 'tap1'))))).toBeUndefined();
  });
});

describe('writeBindingFile: own-write records', () => {

  it('records the file as pending before its rename, durable once acknowledged, under the identity stat() reports', async () => {
    const log: string[] = [];
    const g = gatedFs(log);
    const own = new OwnWrites();
    const settled: string[] = [];
    own.onSettled((p) => settled.push(p));
    const path = join(dir, 'tap10');
    const w = writeBindingFile(dir, 'tap10', TEXT(10), { fs: g.fs, ownWrites: own });
    await until(() => g.started() === 1);
    const id = identityOf(statSync(path));
    expect(own.match(path, id)).toBe('pending');
    expect(settled).toEqual([]);
    g.release();
    await w;
    expect(settled).toEqual([path]);
    expect(own.match(path, { ...id, size: id.size + 1 })).toBeUndefined(); // another version: not ours
    expect(own.match(path, id)).toBe('durable');
    expect(own.match(path, id)).toBeUndefined(); // consumed: the next change is read
  });

  it('identityOf takes inode, size and mtime from a stat, and what nodeFs stat() reports of the open file is the same', async () => {
    const path = join(dir, 'tap10');
    writeFileSync(path, TEXT(10));
    const st = statSync(path);
    const id = identityOf(st);
    expect(id).toEqual({ ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    expect(Object.keys(id).sort()).toEqual(['ino', 'mtimeMs', 'size']); // nothing else of the stat is kept
    const f = await nodeFs.open(path, 0, 0);
    try {
      expect(sameIdentity(await f.stat!(), id)).toBe(true);
    } finally {
      await f.close();
    }
  });

  it('is bounded: old records are dropped first', () => {
    const own = new OwnWrites(3);
    for (let i = 0; i < 5; i++) own.record(`/d/tap${i}`, { ino: i, size: 1, mtimeMs: 1 });
    expect(own.size).toBe(3);
    expect(own.match('/d/tap0', { ino: 0, size: 1, mtimeMs: 1 })).toBeUndefined();
    expect(own.match('/d/tap4', { ino: 4, size: 1, mtimeMs: 1 })).toBe('pending');
  });
});
