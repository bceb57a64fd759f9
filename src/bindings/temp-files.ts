/**
 * Temporary names of atomic writes (persist.ts step 1) and the start-up
 * cleanup of those a killed write left behind.
 */
import { randomFillSync } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';

/**
 * 12 hex digits (48 random bits) for a temporary name, from the kernel's
 * CSPRNG. Unpredictable, so nobody can plant a file or link at the next
 * name (a per-process prefix plus a counter could be read off the
 * directory and guessed). Drawn from a pool refilled 1024 names at a time:
 * one random call per write was a measurable share of binding-add.
 */
const TEMP_RANDOM_BYTES = 6;
const tempPool = Buffer.alloc(TEMP_RANDOM_BYTES * 1024);
let tempPoolAt = tempPool.length;
function tempSuffix(): string {
  if (tempPoolAt === tempPool.length) {
    randomFillSync(tempPool);
    tempPoolAt = 0;
  }
  const s = tempPool.toString('hex', tempPoolAt, tempPoolAt + TEMP_RANDOM_BYTES);
  tempPoolAt += TEMP_RANDOM_BYTES;
  return s;
}

/** The temporary name of a write of `name` (see TEMP_NAME, which must match it). */
export function tempName(name: string): string {
  return `.${name}.tmp-${tempSuffix()}`;
}


/** The names tempName makes for names of at most 15 characters (tap names, `.server-duid`), for the start-up cleanup. */
const TEMP_NAME = new RegExp(`^\\.[A-Za-z0-9_.:@-]{1,15}\\.tmp-[0-9a-f]{${2 * TEMP_RANDOM_BYTES}}$`);

/**
 * Removes temporary files that a write killed midway (SIGKILL, power loss)
 * left behind: only names of writeFileAtomic's own pattern (binding files
 * and the server DUID), only regular files (lstat: a link with such a name
 * is not ours), and only those last modified before `beforeMs` (the
 * daemon's start), so a write that is running now is never touched.
 * Returns the names removed. Never throws: a leftover temp file is
 * harmless (the watcher ignores dot files).
 */
export async function removeStaleTempFiles(dir: string, beforeMs: number, opts: { fs?: Pick<typeof fsp, 'readdir' | 'lstat' | 'unlink'> } = {}): Promise<string[]> {
  const fs = opts.fs ?? fsp;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!TEMP_NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      const st = await fs.lstat(path);
      if (!st.isFile() || st.mtimeMs >= beforeMs) continue;
      await fs.unlink(path);
      removed.push(name);
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return removed;
}
