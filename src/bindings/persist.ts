/**
 * Atomic writes of the files onlinkd keeps in the state directory: binding
 * files (bindings added over the control socket) and the server DUID. This
 * is the only place that creates files there.
 *
 * A binding file is read by the directory watcher (and by nfdhcpd-era
 * tools) at any moment, and the machine can lose power at any moment. So a
 * write never modifies `<name>` in place:
 *
 *   0. refuse when `<name>` exists and is not a regular file (see
 *      checkReplaceable),
 *   1. create `.<name>.tmp-<random>` in the same directory (a dot file: the
 *      watcher skips it; same directory: same filesystem, so rename is
 *      atomic) with O_CREAT|O_EXCL|O_NOFOLLOW: whoever can write the
 *      directory (hooks, other tools) may plant a symbolic link or a file at
 *      any name, and the daemon may run as root — it must never write
 *      through one (open(2): O_EXCL fails with EEXIST on any existing name,
 *      a symbolic link included). The random part is unpredictable (see
 *      tempSuffix), so such a plant cannot even make a write fail on purpose,
 *   2. fsync it (the data is on disk before the name points at it: after a
 *      crash the name holds the old or the new content, never a zero-length
 *      file — the ext4 "rename without fsync" trap),
 *   3. rename it over `<name>` (readers see the old or the new file, whole;
 *      rename(2) replaces the name itself and never follows a link there),
 *   4. fsync the directory (the rename itself survives a crash).
 *
 * Deleting is unlink + directory fsync. Any failure leaves the old file as
 * it was and removes the temporary file; the error is a PersistError with
 * the errno code and a message an operator can act on.
 *
 * Step 4 is shared between writes in flight (group commit: dir-sync.ts);
 * temporary names and the start-up cleanup of leftovers are temp-files.ts's.
 *
 * Own writes: each file written is recorded, by identity, in the OwnWrites
 * registry passed in the options (the binding store's), so the directory
 * watcher recognises it without reading it (own-writes.ts).
 */
import { constants, type Stats } from 'node:fs';
import { join } from 'node:path';
import { fileKind } from '../util/read-limited.js';
import { isValidInterfaceName } from './binding.js';
import { syncDir } from './dir-sync.js';
import type { FileIdentity, OwnWrites } from './own-writes.js';
import { PersistError, codeOf, nodeFs, type PersistFile, type PersistFs, type PersistOp } from './persist-fs.js';
import { tempName } from './temp-files.js';

export { OwnWrites, identityOf, sameIdentity, type FileIdentity } from './own-writes.js';
export { PersistError, nodeFs, type PersistFile, type PersistFs, type PersistOp } from './persist-fs.js';
export { removeStaleTempFiles } from './temp-files.js';

export interface PersistOptions {
  fs?: PersistFs;
  /** File mode of new binding files (before umask). */
  mode?: number;
  /** Where own writes are recorded (the binding store's, BindingStore `ownWrites`; none: files the watcher ignores). */
  ownWrites?: OwnWrites | null | undefined;
  /** What the file is, in error messages (default 'binding file'). */
  what?: string;
}


function checkName(dir: string, tap: string, op: PersistOp): string {
  // The name becomes a path: refuse anything that is not a plain interface name.
  if (!isValidInterfaceName(tap) || tap.startsWith('.')) {
    throw new PersistError(op, join(dir, tap), 'EINVAL', 'name', `"${tap}" is not a valid interface name`);
  }
  return join(dir, tap);
}

/**
 * Refuses to replace anything but a regular file (or nothing). A symbolic
 * link, FIFO, device, socket or directory at a name onlinkd writes was put
 * there by someone else: the rename would not write through it (rename(2)
 * replaces the name), but silently replacing it would hide the tampering
 * and delete what an operator may have placed on purpose. So the write
 * fails with a message naming what is there, and the object stays inert
 * (readers never follow or read it, see util/read-limited.ts). Not a
 * security boundary on its own: an object swapped in after this check is
 * replaced by the rename, which is still never written through.
 */
async function checkReplaceable(fs: PersistFs, path: string, what: string): Promise<void> {
  let st: Stats | undefined;
  try {
    st = await (fs.lstat ?? nodeFs.lstat!)(path);
  } catch (e) {
    throw new PersistError('write', path, codeOf(e), 'check', undefined, what);
  }
  if (st && !st.isFile()) {
    throw new PersistError('write', path, 'EEXIST', 'check', `a ${fileKind(st)} has that name; it is never written through nor replaced (remove it)`, what);
  }
}

/** Writes `text` as `<dir>/<tap>` atomically (see the module comment). */
export async function writeBindingFile(dir: string, tap: string, text: string, opts: PersistOptions = {}): Promise<void> {
  checkName(dir, tap, 'write');
  return writeFileAtomic(dir, tap, text, opts);
}

/**
 * Writes `text` as `<dir>/<name>` atomically (see the module comment);
 * `name` is one path component. Throws a PersistError and leaves the old
 * file (and no temporary file) when any step fails.
 */
export async function writeFileAtomic(dir: string, name: string, text: string, opts: PersistOptions = {}): Promise<void> {
  const fs = opts.fs ?? nodeFs;
  const what = opts.what ?? 'binding file';
  const path = join(dir, name);
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new PersistError('write', path, 'EINVAL', 'name', `"${name}" is not a file name`, what);
  }
  const tmp = join(dir, tempName(name));
  const own = opts.ownWrites;
  await checkReplaceable(fs, path, what);
  let step = 'open';
  let fh: PersistFile | undefined;
  let id: FileIdentity | undefined;
  try {
    // O_EXCL|O_NOFOLLOW: never write through a file (or symlink) someone else put at the temp name.
    fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, opts.mode ?? 0o644);
    step = 'write';
    await fh.writeFile(text);
    step = 'fsync';
    await fh.sync();
    // After fsync: size and mtime are final (rename keeps both, and the inode).
    id = fh.stat ? await fh.stat().catch(() => undefined) : undefined;
    step = 'close';
    const h = fh;
    fh = undefined;
    await h.close();
    step = 'rename';
    // Recorded before the rename: the watcher must never see the new file before it is known as ours.
    if (id) own?.record(path, id);
    await fs.rename(tmp, path);
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    if (step !== 'open') await fs.unlink(tmp).catch(() => undefined);
    if (id) own?.settle(path, id, false);
    throw new PersistError('write', path, codeOf(e), step, undefined, what);
  }
  try {
    await syncDir(fs, dir, 'write', path, what);
  } catch (e) {
    if (id) own?.settle(path, id, false);
    throw e;
  }
  if (id) own?.settle(path, id, true);
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
