/**
 * Temp files a SIGKILL (or power loss) left in the middle of an atomic
 * binding write are removed at the next start (issue 6 item 3): only the
 * names writeBindingFile itself uses, only those older than the start.
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeBindingFile } from '../../../src/bindings/persist.js';

describe('removeStaleTempFiles', () => {
  it('removes only writeBindingFile temp names older than the given time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'olk-stale-'));
    try {
      const old = new Date(Date.now() - 3_600_000);
      for (const n of ['.tap10.tmp-0123456789ab', '.tap11.tmp-aaaaaaaaaaaa', '.tap12.tmp', 'tap10', '.server-duid', '.x.tmp-0123456789abc']) {
        writeFileSync(join(dir, n), 'x');
        utimesSync(join(dir, n), old, old);
      }
      writeFileSync(join(dir, '.tap13.tmp-bbbbbbbbbbbb'), 'fresh'); // a write running now
      const removed = await removeStaleTempFiles(dir, Date.now() - 60_000);
      expect(removed.sort()).toEqual(['.tap10.tmp-0123456789ab', '.tap11.tmp-aaaaaaaaaaaa']);
      expect(readdirSync(dir).sort()).toEqual(['.server-duid', '.tap12.tmp', '.tap13.tmp-bbbbbbbbbbbb', '.x.tmp-0123456789abc', 'tap10']);
      expect(await removeStaleTempFiles(join(dir, 'missing'), Date.now())).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches the temp names writeBindingFile really uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'olk-stale-'));
    try {
      let seen: string | undefined;
      await writeBindingFile(dir, 'tap10', 'MAC=aa:00:00:00:00:10\n', {
        fs: {
          open: async (p, f, m) => {
            seen = p;
            return (await import('node:fs/promises')).open(p, f, m);
          },
          rename: async () => {
            throw Object.assign(new Error('killed'), { code: 'EIO' });
          },
          unlink: async () => undefined, // "killed" before the cleanup: the temp file stays
          openDir: async () => {
            throw new Error('unreached');
          },
        },
      }).catch(() => undefined);
      expect(seen).toBeDefined();
      const name = seen!.slice(dir.length + 1);
      expect(readdirSync(dir)).toEqual([name]);
      expect(await removeStaleTempFiles(dir, Date.now() + 1_000)).toEqual([name]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
