/**
 * Atomic binding writes: the final name only ever holds a whole old or a
 * whole new file, a failure at any step leaves the old file and no temp
 * file behind, and errors carry the errno code.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PersistError, nodeFs, removeBindingFile, writeBindingFile, type PersistFs } from '../../../src/bindings/persist.js';

const OLD = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\n';
const NEW = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.20\n';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** nodeFs with one step failing. */
function faulty(step: 'open' | 'write' | 'fsync' | 'rename' | 'fsync-dir' | 'unlink', code: string): PersistFs {
  return {
    async open(path, flags, mode) {
      if (step === 'open') throw errno(code);
      const fh = await nodeFs.open(path, flags, mode);
      return {
        async writeFile(data) {
          if (step === 'write') {
            await fh.writeFile(data.slice(0, 5)); // a partial write before the failure
            throw errno(code);
          }
          return fh.writeFile(data);
        },
        async sync() {
          if (step === 'fsync') throw errno(code);
          return fh.sync();
        },
        close: () => fh.close(),
      };
    },
    rename: async (a, b) => {
      if (step === 'rename') throw errno(code);
      return nodeFs.rename(a, b);
    },
    unlink: async (p) => {
      if (step === 'unlink') throw errno(code);
      return nodeFs.unlink(p);
    },
    openDir: async (p) => {
      const fh = await nodeFs.openDir(p);
      return {
        writeFile: fh.writeFile,
        sync: async () => {
          if (step === 'fsync-dir') throw errno(code);
          return fh.sync();
        },
        close: () => fh.close(),
      };
    },
  };
}

describe('persist', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-persist-'));
  });
  afterEach(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a new file and replaces an old one, leaving no temp file', async () => {
    await writeBindingFile(dir, 'tap10', OLD);
    expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(OLD);
    await writeBindingFile(dir, 'tap10', NEW);
    expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(NEW);
    expect(readdirSync(dir)).toEqual(['tap10']);
  });

  it('the temp file is a dot file in the same directory and never the final name', async () => {
    const seen: string[] = [];
    const spy: PersistFs = {
      ...nodeFs,
      open: async (p, f, m) => {
        seen.push(`open ${p}`);
        // While the temp file is written, the final name still holds the old content.
        expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(OLD);
        return nodeFs.open(p, f, m);
      },
      rename: async (a, b) => {
        seen.push(`rename ${a} ${b}`);
        return nodeFs.rename(a, b);
      },
    };
    writeFileSync(join(dir, 'tap10'), OLD);
    await writeBindingFile(dir, 'tap10', NEW, { fs: spy });
    expect(seen).toHaveLength(2);
    const tmp = /^open (.*)$/.exec(seen[0]!)![1]!;
    expect(tmp.startsWith(join(dir, '.tap10.tmp-'))).toBe(true);
    expect(seen[1]).toBe(`rename ${tmp} ${join(dir, 'tap10')}`);
  });

  it('readers polling the final name only ever see the whole old or the whole new file', async () => {
    writeFileSync(join(dir, 'tap10'), OLD);
    let stop = false;
    const bad: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const t = readFileSync(join(dir, 'tap10'), 'utf8');
        if (t !== OLD && t !== NEW) bad.push(t);
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 100; i++) await writeBindingFile(dir, 'tap10', i % 2 ? OLD : NEW);
    stop = true;
    await reader;
    expect(bad).toEqual([]);
  });

  it.each([
    ['open', 'ENOSPC'],
    ['write', 'ENOSPC'],
    ['fsync', 'EIO'],
    ['rename', 'EROFS'],
  ] as const)('a failure at %s (%s) leaves the old file and no temp file', async (step, code) => {
    writeFileSync(join(dir, 'tap10'), OLD);
    const e = await writeBindingFile(dir, 'tap10', NEW, { fs: faulty(step, code) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PersistError);
    expect(e).toMatchObject({ code, step, op: 'write', path: join(dir, 'tap10') });
    expect((e as Error).message).toContain(join(dir, 'tap10'));
    expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(OLD);
    expect(readdirSync(dir)).toEqual(['tap10']);
  });

  it('messages say what is wrong', async () => {
    const e = await writeBindingFile(dir, 'tap10', NEW, { fs: faulty('open', 'EROFS') }).then(() => new Error('no error'), (x: Error) => x);
    expect(e.message).toBe(`cannot write binding file ${join(dir, 'tap10')}: read-only file system (EROFS at open)`);
    const f = await writeBindingFile(dir, 'tap10', NEW, { fs: faulty('write', 'ENOSPC') }).then(() => new Error('no error'), (x: Error) => x);
    expect(f.message).toContain('no space left on device');
  });

  it('a directory that cannot fsync (EINVAL) is not an error; EIO is', async () => {
    await writeBindingFile(dir, 'tap10', NEW, { fs: faulty('fsync-dir', 'EINVAL') });
    const e = await writeBindingFile(dir, 'tap10', NEW, { fs: faulty('fsync-dir', 'EIO') }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'EIO', step: 'fsync-dir' });
  });

  it('refuses names that are not interface names (no path tricks)', async () => {
    for (const name of ['../x', 'a/b', '.hidden', '', 'x'.repeat(16)]) {
      await expect(writeBindingFile(dir, name, NEW)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(removeBindingFile(dir, name)).rejects.toMatchObject({ code: 'EINVAL' });
    }
  });

  it('remove: true when a file went away, false when there was none; failures keep the file', async () => {
    writeFileSync(join(dir, 'tap10'), OLD);
    expect(await removeBindingFile(dir, 'tap10')).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(await removeBindingFile(dir, 'tap10')).toBe(false);
    writeFileSync(join(dir, 'tap10'), OLD);
    await expect(removeBindingFile(dir, 'tap10', { fs: faulty('unlink', 'EROFS') })).rejects.toMatchObject({ code: 'EROFS', op: 'remove', step: 'unlink' });
    expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(OLD);
  });

  it('a state directory that does not exist is ENOENT', async () => {
    await expect(writeBindingFile(join(dir, 'missing'), 'tap10', NEW)).rejects.toMatchObject({ code: 'ENOENT', step: 'open' });
  });

  // A real read-only directory: as an unprivileged user a 0555 directory is enough;
  // root ignores the mode (CAP_DAC_OVERRIDE), so then the write runs in a child as nobody.
  it('a read-only state directory gives EACCES and the old file stays', async () => {
    writeFileSync(join(dir, 'tap10'), OLD);
    chmodSync(join(dir, 'tap10'), 0o644);
    chmodSync(dir, 0o555);
    if (process.getuid?.() !== 0) {
      const e = await writeBindingFile(dir, 'tap10', NEW).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'EACCES', step: 'open' });
      await expect(removeBindingFile(dir, 'tap10')).rejects.toMatchObject({ code: 'EACCES' });
    } else {
      const loader = fileURLToPath(new URL('../io/ts-loader.mjs', import.meta.url));
      const persist = fileURLToPath(new URL('../../../src/bindings/persist.ts', import.meta.url));
      const script = `
        const { writeBindingFile, removeBindingFile } = await import(${JSON.stringify(persist)});
        const out = {};
        try { await writeBindingFile(${JSON.stringify(dir)}, 'tap10', 'X'); out.write = 'ok'; } catch (e) { out.write = { code: e.code, step: e.step, name: e.name }; }
        try { await removeBindingFile(${JSON.stringify(dir)}, 'tap10'); out.remove = 'ok'; } catch (e) { out.remove = { code: e.code, step: e.step }; }
        console.log(JSON.stringify(out));`;
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', loader, '--input-type=module', '-e', script], {
        encoding: 'utf8', timeout: 20_000,
      });
      if (r.status !== 0 && /Permission denied|EACCES/.test(r.stderr) && !r.stdout) {
        // The project tree itself is not readable by nobody: say so instead of passing silently.
        throw new Error(`child as uid 65534 could not load the sources: ${r.stderr.slice(0, 300)}`);
      }
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        write: { code: 'EACCES', step: 'open', name: 'PersistError' },
        remove: { code: 'EACCES', step: 'unlink' },
      });
    }
    expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(OLD);
    expect(readdirSync(dir)).toEqual(['tap10']);
  });
});
