/**
 * The one way onlinkd reads a file someone else may control (binding files,
 * the server DUID, the configuration file): regular files only, a bounded
 * number of bytes, and — unless the caller says the path is the operator's
 * choice — never through a symbolic link.
 *
 * Why each part:
 * - O_NONBLOCK on open: opening a FIFO for reading blocks until a writer
 *   appears (fifo(7)); non-blocking, the open returns at once and the fstat
 *   below refuses it. The flag has no effect on a regular file (open(2)).
 * - fstat on the open descriptor, not stat on the path: what is checked is
 *   what is read (no swap between check and use). A FIFO, device, socket
 *   or directory is never read: /dev/zero would never end, a FIFO could
 *   block.
 * - the byte limit: a huge (or growing) regular file cannot exhaust memory.
 * - O_NOFOLLOW: a symbolic link as the last component fails with ELOOP
 *   (open(2)), so a writer of the directory cannot make the daemon read a
 *   file elsewhere (and quote it back in an error message).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export interface ReadLimitedOptions {
  /** Asked with the open file's fstat before any read: true skips the read (the answer is undefined). */
  skip?: (st: Stats) => boolean;
  /** Follow a symbolic link (only for paths the operator chose, such as --config). Default false: ELOOP. */
  followLinks?: boolean;
}

export interface ReadLimitedResult {
  text: string;
  /** Bytes read: `limit` when the file is at least that long (so read `max + 1` to detect "too large"). */
  size: number;
  /** fstat of the file read. */
  stat: Stats;
}

/**
 * Reads at most `limit` bytes of `path`. Undefined when it is not a regular
 * file (a FIFO, device, socket or directory) or `skip` said so; throws the
 * open error otherwise (ENOENT, EACCES, ELOOP for a symbolic link, ...).
 *
 * The buffer is sized to the file (fstat), not to the limit: a 64 KiB
 * buffer per file was 256 MB of garbage when 4096 binding files were read
 * at start.
 */
export function readLimitedSync(path: string, limit: number, opts: ReadLimitedOptions = {}): ReadLimitedResult | undefined {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (opts.followLinks ? 0 : constants.O_NOFOLLOW);
  const fd = openSync(path, flags);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    if (opts.skip?.(stat)) return undefined;
    // One byte past the size: a file that grew since fstat is read on (up to the limit).
    let buf = Buffer.allocUnsafe(Math.min(limit, stat.size + 1));
    let total = 0;
    while (total < limit) {
      if (total === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(limit, buf.length * 2));
        buf.copy(bigger, 0, 0, total);
        buf = bigger;
      }
      const n = readSync(fd, buf, total, buf.length - total, total);
      if (n === 0) break;
      total += n;
    }
    return { text: buf.toString('utf8', 0, total), size: total, stat };
  } finally {
    closeSync(fd);
  }
}

/** What kind of file a stat describes, for messages ("a symbolic link has that name"). */
export function fileKind(st: Pick<Stats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (st.isFile()) return 'regular file';
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'special file';
}
