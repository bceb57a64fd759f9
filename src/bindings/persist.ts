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
 * Group commit (step 4): writes that finish their rename while a directory
 * fsync is in flight wait for the next one and share it; a fsync covers
 * every rename completed before it started, so each write still returns
 * only once its file and its name are durable. With many binding-adds in
 * flight this turns one directory fsync per add into one per batch.
 *
 * Own writes: the directory watcher would re-read every file we just wrote
 * (and parse it again). `ownWrites` remembers the identity (inode, size,
 * mtime) of each file written here, so the watcher can recognise it without
 * reading it (see OwnWrites).
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, constants, fstatSync, fsync, lstatSync, openSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileKind } from '../util/read-limited.js';
import { isValidInterfaceName } from './binding.js';

export type PersistOp = 'write' | 'remove';

export class PersistError extends Error {
  constructor(
    readonly op: PersistOp,
    readonly path: string,
    /** errno name: EACCES, ENOSPC, EROFS, EDQUOT, EIO, ... ('EINVAL' for a bad tap name). */
    readonly code: string,
    /** The step that failed: name, check, open, write, fsync, rename, unlink, fsync-dir. */
    readonly step: string,
    detail?: string,
    /** What the file is, for the message. */
    what = 'binding file',
  ) {
    super(`cannot ${op === 'write' ? 'write' : 'remove'} ${what} ${path}: ${detail ?? explain(code)} (${code} at ${step})`);
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
  /** lstat, undefined when nothing has the name (default: nodeFs's; see checkReplaceable). */
  lstat?(path: string): Promise<Stats | undefined>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Opens the directory read-only for fsync. */
  openDir(path: string): Promise<PersistFile>;
}

export interface PersistFile {
  writeFile(data: string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
  /** Identity of the open file; optional (fault-injecting test doubles may omit it: no own-write record then). */
  stat?(): Promise<FileIdentity>;
}

/** What tells one version of a file from another without reading it. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

/** The identity of a file from its stat (fstat, lstat or stat: a link's own identity for lstat). */
export function identityOf(st: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>): FileIdentity {
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Files this process wrote, by absolute path: recorded before the rename
 * (pending), marked durable when the write returns, dropped when it fails.
 * The directory watcher asks `match` about a file it sees change:
 *  - 'durable': the writer has applied the binding to the store already
 *    (the control context does so right after the write returns, before any
 *    timer can run), so there is nothing to read;
 *  - 'pending': the write is not acknowledged yet; the watcher leaves the
 *    store alone and looks again when `onSettled` fires (a write that fails
 *    after its rename leaves the new file in place, which the watcher then
 *    reads like any other, as before);
 *  - undefined: someone else's file (or a newer version): read it.
 * Bounded: entries nobody consumes (no watcher, lost events) are dropped
 * oldest first.
 */
export class OwnWrites {
  readonly #byPath = new Map<string, { id: FileIdentity; durable: boolean }>();
  readonly #max: number;
  /** Called with the absolute path when a pending write is acknowledged or fails. */
  onSettled: ((path: string) => void) | undefined;

  constructor(max = 16_384) {
    this.#max = max;
  }

  record(path: string, id: FileIdentity): void {
    const key = resolve(path);
    this.#byPath.delete(key); // re-insert: Map order is the eviction order
    this.#byPath.set(key, { id, durable: false });
    if (this.#byPath.size > this.#max) this.#byPath.delete(this.#byPath.keys().next().value!);
  }

  settle(path: string, id: FileIdentity, ok: boolean): void {
    const key = resolve(path);
    const e = this.#byPath.get(key);
    if (!e || !sameIdentity(e.id, id)) return;
    if (ok) e.durable = true;
    else this.#byPath.delete(key);
    this.onSettled?.(key);
  }

  /** See the class comment. A 'durable' match is consumed: the next change of the file is read. */
  match(path: string, id: FileIdentity): 'durable' | 'pending' | undefined {
    if (this.#byPath.size === 0) return undefined; // the usual case on a rescan: no path to resolve
    const key = resolve(path);
    const e = this.#byPath.get(key);
    if (!e || !sameIdentity(e.id, id)) return undefined;
    if (!e.durable) return 'pending';
    this.#byPath.delete(key);
    return 'durable';
  }

  get size(): number {
    return this.#byPath.size;
  }
}

/** The registry writeBindingFile records into and the BindingDirectory of the same process reads. */
export const ownWrites = new OwnWrites();

/**
 * The real file operations. Only the fsyncs go to libuv's thread pool; the
 * other steps (create, write a few hundred bytes, fstat, close, rename,
 * unlink) are direct system calls of a few microseconds on a local
 * filesystem. Why: each thread-pool round trip cost the event loop far more
 * than the system call itself (with 4 pool threads and 2 cores, binding-add
 * spent most of its time handing work to the pool), and binding-add must
 * sustain thousands per second while fsyncs are in flight.
 */
function fileOf(fd: number): PersistFile {
  return {
    writeFile: async (data) => {
      const buf = Buffer.from(data, 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    },
    sync: () => new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve()))),
    close: async () => closeSync(fd),
    stat: async () => identityOf(fstatSync(fd)),
  };
}

export const nodeFs: PersistFs = {
  open: async (path, flags, mode) => fileOf(openSync(path, flags, mode)),
  lstat: async (path) => lstatSync(path, { throwIfNoEntry: false }),
  rename: async (from, to) => renameSync(from, to),
  unlink: async (path) => unlinkSync(path),
  openDir: async (path) => fileOf(openSync(path, constants.O_RDONLY | constants.O_DIRECTORY)),
};

export interface PersistOptions {
  fs?: PersistFs;
  /** File mode of new binding files (before umask). */
  mode?: number;
  /** Where own writes are recorded (default: the process-wide `ownWrites`; null: nowhere, for files the watcher ignores). */
  ownWrites?: OwnWrites | null;
  /** What the file is, in error messages (default 'binding file'). */
  what?: string;
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

/** fsync of a directory; filesystems that cannot (EINVAL, ENOTSUP) are not an error. Throws the errno code. */
async function fsyncDir(fs: PersistFs, dir: string): Promise<void> {
  let fh: PersistFile;
  try {
    fh = await fs.openDir(dir);
  } catch (e) {
    throw Object.assign(new Error('open'), { code: codeOf(e) });
  }
  try {
    await fh.sync();
  } catch (e) {
    const code = codeOf(e);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw Object.assign(new Error('fsync'), { code });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Group commit of directory fsyncs, one per (fs, directory). `sync()`
 * resolves after a fsync that started after the call: the one in flight
 * cannot be joined (it may have started before the caller's rename), so a
 * caller arriving meanwhile joins the next one, which starts as soon as the
 * current one ends and serves everyone who arrived in between.
 */
class DirSync {
  #running = false;
  #waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(
    private readonly fs: PersistFs,
    private readonly dir: string,
  ) {}

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await fsyncDir(this.fs, this.dir);
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.#running = false;
  }
}

const dirSyncs = new WeakMap<PersistFs, Map<string, DirSync>>();

async function syncDir(fs: PersistFs, dir: string, op: PersistOp, path: string, what?: string): Promise<void> {
  let byDir = dirSyncs.get(fs);
  if (!byDir) dirSyncs.set(fs, (byDir = new Map()));
  let ds = byDir.get(dir);
  if (!ds) byDir.set(dir, (ds = new DirSync(fs, dir)));
  try {
    await ds.sync();
  } catch (e) {
    throw new PersistError(op, path, codeOf(e), 'fsync-dir', undefined, what);
  }
}

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
function tempName(name: string): string {
  return `.${name}.tmp-${tempSuffix()}`;
}

/** The names tempName makes for names of at most 15 characters (tap names, `.server-duid`), for the start-up cleanup. */
const TEMP_NAME = new RegExp(`^\\.[A-Za-z0-9_.:@-]{1,15}\\.tmp-[0-9a-f]{${2 * TEMP_RANDOM_BYTES}}$`);

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
  const own = opts.ownWrites === undefined ? ownWrites : opts.ownWrites;
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
