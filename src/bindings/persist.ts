/**
 * Atomic binding-file writes, for bindings added over the control socket.
 *
 * A binding file is read by the directory watcher (and by nfdhcpd-era
 * tools) at any moment, and the machine can lose power at any moment. So a
 * write never modifies `<tap>` in place:
 *
 *   1. write `.<tap>.tmp-<random>` in the same directory (a dot file: the
 *      watcher skips it; same directory: same filesystem, so rename is atomic),
 *   2. fsync it (the data is on disk before the name points at it: after a
 *      crash the name holds the old or the new content, never a zero-length
 *      file — the ext4 "rename without fsync" trap),
 *   3. rename it over `<tap>` (readers see the old or the new file, whole),
 *   4. fsync the directory (the rename itself survives a crash).
 *
 * Deleting is unlink + directory fsync. Any failure leaves the old file as
 * it was and removes the temporary file; the error is a PersistError with
 * the errno code and a message an operator can act on.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { isValidInterfaceName } from './binding.js';

export type PersistOp = 'write' | 'remove';

export class PersistError extends Error {
  constructor(
    readonly op: PersistOp,
    readonly path: string,
    /** errno name: EACCES, ENOSPC, EROFS, EDQUOT, EIO, ... ('EINVAL' for a bad tap name). */
    readonly code: string,
    /** The step that failed: open, write, fsync, rename, unlink, fsync-dir. */
    readonly step: string,
    detail?: string,
  ) {
    super(`cannot ${op === 'write' ? 'write' : 'remove'} binding file ${path}: ${detail ?? explain(code)} (${code} at ${step})`);
    this.name = 'PersistError';
  }
}

function explain(code: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (is the state directory writable by the daemon user?)';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'the state directory does not exist';
    case 'ENOTDIR':
      return 'the state directory path is not a directory';
    case 'EISDIR':
      return 'a directory has the binding file name';
    case 'EIO':
      return 'I/O error';
    default:
      return code;
  }
}

/** The file operations used, replaceable in tests to inject faults at each step. */
export interface PersistFs {
  open(path: string, flags: number, mode: number): Promise<PersistFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Opens the directory read-only for fsync. */
  openDir(path: string): Promise<PersistFile>;
}

export interface PersistFile {
  writeFile(data: string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export const nodeFs: PersistFs = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  openDir: (path) => fsp.open(path, constants.O_RDONLY | constants.O_DIRECTORY),
};

export interface PersistOptions {
  fs?: PersistFs;
  /** File mode of new binding files (before umask). */
  mode?: number;
}

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EIO';
}

function checkName(dir: string, tap: string, op: PersistOp): string {
  // The name becomes a path: refuse anything that is not a plain interface name.
  if (!isValidInterfaceName(tap) || tap.startsWith('.')) {
    throw new PersistError(op, join(dir, tap), 'EINVAL', 'name', `"${tap}" is not a valid interface name`);
  }
  return join(dir, tap);
}

/** fsync of a directory; filesystems that cannot (EINVAL, ENOTSUP) are not an error. */
async function syncDir(fs: PersistFs, dir: string, op: PersistOp, path: string): Promise<void> {
  let fh: PersistFile;
  try {
    fh = await fs.openDir(dir);
  } catch (e) {
    throw new PersistError(op, path, codeOf(e), 'fsync-dir');
  }
  try {
    await fh.sync();
  } catch (e) {
    const code = codeOf(e);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw new PersistError(op, path, code, 'fsync-dir');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Writes `text` as `<dir>/<tap>` atomically (see the module comment). */
export async function writeBindingFile(dir: string, tap: string, text: string, opts: PersistOptions = {}): Promise<void> {
  const fs = opts.fs ?? nodeFs;
  const path = checkName(dir, tap, 'write');
  const tmp = join(dir, `.${tap}.tmp-${randomBytes(6).toString('hex')}`);
  let step = 'open';
  let fh: PersistFile | undefined;
  try {
    // O_EXCL: never write through a file (or symlink) someone else put at the temp name.
    fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, opts.mode ?? 0o644);
    step = 'write';
    await fh.writeFile(text);
    step = 'fsync';
    await fh.sync();
    step = 'close';
    const h = fh;
    fh = undefined;
    await h.close();
    step = 'rename';
    await fs.rename(tmp, path);
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    if (step !== 'open') await fs.unlink(tmp).catch(() => undefined);
    throw new PersistError('write', path, codeOf(e), step);
  }
  await syncDir(fs, dir, 'write', path);
}

/** Removes `<dir>/<tap>`; false when it did not exist. */
export async function removeBindingFile(dir: string, tap: string, opts: PersistOptions = {}): Promise<boolean> {
  const fs = opts.fs ?? nodeFs;
  const path = checkName(dir, tap, 'remove');
  try {
    await fs.unlink(path);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return false;
    throw new PersistError('remove', path, codeOf(e), 'unlink');
  }
  await syncDir(fs, dir, 'remove', path);
  return true;
}

/** The temporary names writeBindingFile uses: `.<tap>.tmp-<12 hex>`. */
const TEMP_NAME = /^\.[A-Za-z0-9_.:@-]{1,15}\.tmp-[0-9a-f]{12}$/;

/**
 * Removes temporary files that a write killed midway (SIGKILL, power loss)
 * left behind: only names of writeBindingFile's own pattern, and only those
 * last modified before `beforeMs` (the daemon's start), so a write that is
 * running now is never touched. Returns the names removed. Never throws:
 * a leftover temp file is harmless (the watcher ignores dot files).
 */
export async function removeStaleTempFiles(dir: string, beforeMs: number, opts: { fs?: Pick<typeof fsp, 'readdir' | 'stat' | 'unlink'> } = {}): Promise<string[]> {
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
      const st = await fs.stat(path);
      if (!st.isFile() || st.mtimeMs >= beforeMs) continue;
      await fs.unlink(path);
      removed.push(name);
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return removed;
}
