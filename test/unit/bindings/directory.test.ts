import { mkdtempSync, rmSync, writeFileSync, renameSync, unlinkSync, appendFileSync, statSync, utimesSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BindingDirectory } from '../../../src/bindings/directory.js';
import { BindingStore } from '../../../src/bindings/store.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { OwnWrites, nodeFs, writeBindingFile, type PersistFs } from '../../../src/bindings/persist.js';
import { until } from '../../helpers/until.js';

const GOOD = (ip: string) => `MAC=aa:00:00:00:00:10\nIP=${ip}\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n`;

describe('binding directory', () => {
  let dir: string;
  let store: BindingStore;
  let bd: BindingDirectory;
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-bindings-'));
    store = new BindingStore();
    logs.length = 0;
  });
  afterEach(() => {
    bd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads existing files at start and skips temp files and bad names', async () => {
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.10'));
    writeFileSync(join(dir, '.tap11.tmp'), GOOD('203.0.113.11'));
    writeFileSync(join(dir, 'waytoolonginterfacename'), GOOD('203.0.113.12'));
    bd = new BindingDirectory(dir, store, log);
    await bd.start();
    expect(store.bindings().map((b) => b.tap)).toEqual(['tap10']);
    expect(logs.some((l) => l.msg === 'binding loaded' && l.tap === 'tap10' && l.ip === '203.0.113.10')).toBe(true);
    expect(logs.some((l) => String(l.msg).includes('not a valid interface name'))).toBe(true);
  });

  it('forgets an invalid name once its file is gone: warned again when it comes back (issue 11: #warnedNames was never pruned)', async () => {
    const bad = join(dir, 'waytoolonginterfacename');
    const warnings = () => logs.filter((l) => String(l.msg).includes('not a valid interface name')).length;
    writeFileSync(bad, GOOD('203.0.113.12'));
    bd = new BindingDirectory(dir, store, log, { settleMs: 5, rescanMs: 60_000 });
    await bd.start();
    await bd.rescan();
    expect(warnings()).toBe(1); // once while it is there
    unlinkSync(bad);
    await bd.rescan();
    writeFileSync(bad, GOOD('203.0.113.12'));
    await bd.rescan();
    expect(warnings()).toBe(2);
  });

  it('follows create, in-place write, rename into place and delete', async () => {
    bd = new BindingDirectory(dir, store, log, { settleMs: 5 });
    await bd.start();
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.10'));
    await until(() => store.get('tap10')?.ip === '203.0.113.10');
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.20'));
    await until(() => store.get('tap10')?.ip === '203.0.113.20');
    writeFileSync(join(dir, '.tap10.new'), GOOD('203.0.113.30'));
    renameSync(join(dir, '.tap10.new'), join(dir, 'tap10'));
    await until(() => store.get('tap10')?.ip === '203.0.113.30');
    unlinkSync(join(dir, 'tap10'));
    await until(() => store.get('tap10') === undefined);
    expect(logs.some((l) => l.msg === 'binding removed' && l.tap === 'tap10')).toBe(true);
  });

  it('keeps the last good binding when a file breaks, and recovers when it is fixed', async () => {
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.10'));
    writeFileSync(join(dir, 'tap11'), GOOD('203.0.113.11').replace('aa:00:00:00:00:10', 'aa:00:00:00:00:11'));
    bd = new BindingDirectory(dir, store, log, { settleMs: 5 });
    await bd.start();
    writeFileSync(join(dir, 'tap10'), 'MAC=aa:00:00:00:00:10\nIP=203.0.113.999\n');
    await until(() => store.entry('tap10')?.error !== undefined);
    expect(store.get('tap10')?.ip).toBe('203.0.113.10');
    expect(store.entry('tap10')?.error).toMatchObject({ line: 2, key: 'IP' });
    expect(store.get('tap11')?.ip).toBe('203.0.113.11');
    const rejected = logs.find((l) => l.msg === 'binding file rejected; last good binding stays in force');
    expect(rejected).toMatchObject({ tap: 'tap10', line: 2, key: 'IP', path: join(dir, 'tap10') });
    // A writer appending in two steps: the half-written state is rejected, the final one wins.
    writeFileSync(join(dir, 'tap10'), 'MAC=aa:00:00:00:00:10\nIP=203.0.113.40\n');
    appendFileSync(join(dir, 'tap10'), 'SUBNET=203.0.113.0/24\n');
    await until(() => store.get('tap10')?.ip === '203.0.113.40');
    expect(store.entry('tap10')?.error).toBeUndefined();
  });

  it('never follows a symbolic link: the last good binding stays, logged once, a real file again is read', async () => {
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.10'));
    writeFileSync(join(dir, 'elsewhere'), GOOD('203.0.113.66'));
    bd = new BindingDirectory(dir, store, log, { settleMs: 5, rescanMs: 3_600_000 });
    await bd.start();
    symlinkSync(join(dir, 'elsewhere'), join(dir, '.tap10.link'));
    renameSync(join(dir, '.tap10.link'), join(dir, 'tap10')); // replaced atomically: never absent
    const refused = () => logs.filter((l) => l.tap === 'tap10' && String(l.msg).startsWith('ignoring binding file: it is a symbolic link'));
    await until(() => refused().length === 1);
    await bd.rescan();
    await bd.rescan();
    expect(refused()).toHaveLength(1);
    expect(store.get('tap10')?.ip).toBe('203.0.113.10'); // never 203.0.113.66
    unlinkSync(join(dir, 'tap10'));
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.20'));
    await until(() => store.get('tap10')?.ip === '203.0.113.20');
  });

  it('rescan reconciles changes the watcher missed', async () => {
    bd = new BindingDirectory(dir, store, log, { settleMs: 5 });
    await bd.start();
    bd.close(); // no watcher any more: only rescan can see changes
    const bd2 = new BindingDirectory(dir, store, log, { settleMs: 5, rescanMs: 3_600_000 });
    writeFileSync(join(dir, 'tap12'), GOOD('203.0.113.12'));
    await bd2.rescan();
    expect(store.get('tap12')?.ip).toBe('203.0.113.12');
    unlinkSync(join(dir, 'tap12'));
    await bd2.rescan();
    expect(store.get('tap12')).toBeUndefined();
    bd2.close();
  });

  it('a rescan only stats: an unchanged identity (inode, size, mtime) is not read again', async () => {
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.10'));
    utimesSync(join(dir, 'tap10'), 1_000_000, 1_000_000);
    // No watcher (never started): only rescans look.
    const bd2 = new BindingDirectory(dir, store, log, { rescanMs: 3_600_000 });
    await bd2.rescan();
    expect(store.get('tap10')?.ip).toBe('203.0.113.10');
    const ino = statSync(join(dir, 'tap10')).ino;
    // Same inode, same size, mtime put back: a rescan cannot tell, and does not read.
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.20'));
    utimesSync(join(dir, 'tap10'), 1_000_000, 1_000_000);
    expect(statSync(join(dir, 'tap10')).ino).toBe(ino);
    await bd2.rescan();
    expect(store.get('tap10')?.ip).toBe('203.0.113.10');
    // A real change (size) is read.
    writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.200'));
    await bd2.rescan();
    expect(store.get('tap10')?.ip).toBe('203.0.113.200');
    bd2.close();
  });

  describe('files this process wrote', () => {
    /** nodeFs whose directory fsync waits for release(). */
    function gated() {
      let release: ((err?: string) => void) | undefined;
      const fs: PersistFs = {
        ...nodeFs,
        openDir: async (p) => {
          const fh = await nodeFs.openDir(p);
          return {
            ...fh,
            sync: () => new Promise<void>((res, rej) => (release = (err) => (err ? rej(Object.assign(new Error(err), { code: err })) : res()))),
          };
        },
      };
      return { fs, release: (err?: string) => release?.(err), armed: () => release !== undefined };
    }
    const binding = (ip: string) => {
      const r = parseBindingFile('tap10', GOOD(ip));
      if (!r.ok) throw r.error;
      return r.binding;
    };

    it('are not read back: the writer applied them already', async () => {
      const own = new OwnWrites();
      bd = new BindingDirectory(dir, store, log, { settleMs: 5, ownWrites: own });
      await bd.start();
      const sets: string[] = [];
      store.on('set', (b) => sets.push(b.ip ?? ''));
      // The writer applies what it wrote (the control context does); the store holding something else
      // here shows whether the watcher read the file: it would replace .10 with .20.
      await writeBindingFile(dir, 'tap10', GOOD('203.0.113.20'), { ownWrites: own });
      store.set(binding('203.0.113.10'));
      await new Promise((r) => setTimeout(r, 60));
      expect(store.get('tap10')?.ip).toBe('203.0.113.10');
      expect(sets).toEqual(['203.0.113.10']);
      expect(own.size).toBe(0); // consumed
      // Someone else's write of the same name is read as always.
      writeFileSync(join(dir, 'tap10'), GOOD('203.0.113.30'));
      await until(() => store.get('tap10')?.ip === '203.0.113.30');
    });

    it('while not yet durable the store is left to the writer; a write that fails after its rename is read like any file', async () => {
      const own = new OwnWrites();
      bd = new BindingDirectory(dir, store, log, { settleMs: 5, ownWrites: own });
      await bd.start();
      const g = gated();
      const w = writeBindingFile(dir, 'tap10', GOOD('203.0.113.20'), { fs: g.fs, ownWrites: own }).catch((e: { code: string }) => e.code);
      await until(() => g.armed());
      await new Promise((r) => setTimeout(r, 60)); // the watcher has seen the renamed file by now
      expect(store.get('tap10')).toBeUndefined(); // not applied behind the writer's back
      g.release('EIO');
      expect(await w).toBe('EIO');
      // The new file is in place although the request failed: the directory is the truth, as before.
      await until(() => store.get('tap10')?.ip === '203.0.113.20');
    });
  });
});
