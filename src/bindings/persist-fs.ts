/**
 * The file operations of the state-directory writers (persist.ts), and the
 * error they throw: an errno code, the step that failed and a message an
 * operator can act on. Replaceable in tests to inject faults at each step.
 */
import { closeSync, constants, fstatSync, fsync, lstatSync, openSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { identityOf, type FileIdentity } from './own-writes.js';

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

export function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EIO';
}
