/**
 * The control socket's file: where it may live, how it is created with its
 * mode and group already set, how its group changes later, and how it goes.
 *
 * Why not chmod/chown the path after listen(): between bind() creating the
 * file and the chmod, whoever can write the directory can rename the socket
 * away and put a symbolic link there, and chmod/chown (which follow links)
 * then change the link's target — as root, any file. fchmod/fchown do not
 * help: on a socket's fd they change the socket's sockfs inode, not the file
 * bind() created (unix(7): only the file's permissions are checked on
 * connect). So the file is made where nobody else can reach it:
 *
 *  1. bind()+listen() in a fresh directory of our own (mkdtemp: mode 0700,
 *     unpredictable name) next to the configured path — same file system;
 *  2. chmod/chown it there: no one else can enter that directory, so the
 *     path names our socket and nothing else;
 *  3. publish it with link() to the configured path: atomic, never follows
 *     a link, and fails (EEXIST) rather than replace anything, so a live
 *     socket of another onlinkd is never stolen even if it appeared after
 *     our check; then drop the private name.
 *
 * A later group change (reload) links the published file back into a new
 * private directory, checks it is still our inode, and changes it there.
 *
 * None of this helps if the configured directory itself (or one above it)
 * can be written by someone else: they could then replace the socket by
 * their own and collect the requests of root's hooks. Such a directory is
 * refused at start (checkSocketDirectory), unless it has the sticky bit
 * (then only the owner of an entry may remove or rename it, unlink(2)).
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { chmod, chown, link, lstat, mkdtemp, realpath, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ControlSocketInUseError, probeSocket } from './stale-socket.js';

/**
 * Refuses a socket directory that someone other than `trustedUids` could
 * write: the directory and every one above it (after resolving links) must
 * be owned by a trusted uid and not writable by group or others, unless
 * sticky (/tmp is fine; a 0777 directory without the sticky bit, or one
 * owned by an ordinary user, is not). Returns the directory with links
 * resolved: the socket is made there, so a link on the way that is
 * repointed later changes nothing.
 */
export async function checkSocketDirectory(dir: string, trustedUids: Iterable<number>): Promise<string> {
  const trusted = new Set(trustedUids);
  const real = await realpath(dir);
  let d = real;
  for (;;) {
    const st = await stat(d);
    const where = d === real ? dir : `${d} (above ${dir})`;
    if (!st.isDirectory()) throw new Error(`control socket directory ${where} is not a directory`);
    if (!trusted.has(st.uid)) {
      throw new Error(`control socket directory ${where} is owned by uid ${st.uid}, neither root nor onlinkd's user: that user could replace the socket; use a directory such as /run/onlinkd`);
    }
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      throw new Error(`control socket directory ${where} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${mode}) without the sticky bit: anyone who can write it could replace the socket; remove that write permission or use a directory such as /run/onlinkd`);
    }
    const up = dirname(d);
    if (up === d) return real;
    d = up;
  }
}

/** A file's inode: the socket we published, told from anything put in its place. */
export interface SocketIdentity {
  dev: number;
  ino: number;
}

async function identityAt(path: string): Promise<SocketIdentity & { socket: boolean }> {
  const st = await lstat(path);
  return { dev: st.dev, ino: st.ino, socket: st.isSocket() };
}

/** Prefix of the private directories (dot: hidden from a plain `ls`). */
const PRIVATE_PREFIX = '.onlinkd-ctl-';

/** Runs `fn` with a fresh 0700 directory next to `path` (same file system), removed afterwards. */
async function inPrivateDir<T>(path: string, fn: (privatePath: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(dirname(path), PRIVATE_PREFIX));
  // A short name: sun_path holds 108 bytes, and this path is longer than `path` already.
  const privatePath = join(dir, 's');
  try {
    return await fn(privatePath);
  } finally {
    await unlink(privatePath).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  }
}

export interface CreateSocketOptions {
  mode: number;
  /** Group of the file. */
  gid: number;
  /** bind()s and listen()s at the given path. */
  listen: (path: string) => Promise<void>;
  /** Test hook: runs after the socket exists (private, mode and group set) and before it is published. */
  beforePublish?: () => void | Promise<void>;
}

/**
 * Creates the listening socket file at `path` with its mode and group
 * already set (see the module comment). Throws ControlSocketInUseError when
 * `path` became a live socket meanwhile, or a clear Error.
 */
export async function createSocketFile(path: string, o: CreateSocketOptions): Promise<SocketIdentity> {
  return inPrivateDir(path, async (privatePath) => {
    await o.listen(privatePath);
    try {
      await chmod(privatePath, o.mode);
      await chown(privatePath, -1, o.gid);
    } catch (e) {
      throw new Error(`cannot set owner/mode of control socket ${path}: ${(e as Error).message}`);
    }
    const id = await identityAt(privatePath);
    await o.beforePublish?.();
    try {
      await link(privatePath, path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EEXIST') {
        if ((await probeSocket(path)) === 'live') throw new ControlSocketInUseError(path);
        throw new Error(`control socket path ${path} appeared while onlinkd was starting and is not its socket; refusing to replace it`);
      }
      throw new Error(`cannot create control socket ${path}: ${err.message}`);
    }
    return { dev: id.dev, ino: id.ino };
  });
}

/**
 * Changes the mode and group of the published socket without following
 * whatever `path` may have become: a hard link to it in a private directory
 * is checked to be our inode, then changed.
 */
export async function setSocketOwnership(path: string, id: SocketIdentity, mode: number, gid: number): Promise<void> {
  await inPrivateDir(path, async (privatePath) => {
    await link(path, privatePath); // link(2) does not follow a symbolic link at `path`
    const now = await identityAt(privatePath);
    if (!now.socket || now.dev !== id.dev || now.ino !== id.ino) throw new Error(`${path} is no longer onlinkd's control socket (replaced); not changing it`);
    await chmod(privatePath, mode);
    await chown(privatePath, -1, gid);
  });
}

/**
 * Removes the socket file if it is still ours (a restarted daemon's new
 * socket is left alone). Synchronous: it runs at stop, right before exit.
 */
export function removeSocketFileSync(path: string, id: SocketIdentity): void {
  try {
    const st = lstatSync(path);
    if (st.dev === id.dev && st.ino === id.ino) unlinkSync(path);
  } catch {
    // gone already
  }
}
