/**
 * The DHCPv6 server DUID must not change over time (RFC 8415 §11): it is a
 * DUID-LL of a locally administered MAC chosen once and kept in the state
 * directory as `.server-duid` (a dot file, so the binding watcher ignores
 * it). When the directory is not writable the DUID still works for this
 * run, and a warning says it will change at the next start.
 *
 * The state directory is writable by hooks and other tools, so the file is
 * read like a binding file (util/read-limited.ts: never through a symbolic
 * link, never a FIFO or device, at most a DUID's worth of bytes) and written
 * like one (bindings/persist.ts writeFileAtomic: O_CREAT|O_EXCL|O_NOFOLLOW
 * under a random temporary name, fsync, rename). A file that is not a
 * usable DUID is logged and a fresh DUID is made; it replaces the file when
 * that is a regular file, and is used for this run only (with a warning)
 * when something else has the name — a link, FIFO or directory is never
 * written through nor replaced (persist.ts checkReplaceable).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic, type PersistFs } from '../bindings/persist.js';
import { makeServerDuid } from '../protocols/dhcp6.js';
import { readLimitedSync } from '../util/read-limited.js';
import { DUID_MAX_LENGTH, decodeDuid, formatDuid } from '../wire/duid.js';
import { formatMac } from '../wire/addr.js';

export const SERVER_DUID_FILE = '.server-duid';

/** The largest file that can hold a DUID: its hex and a line end (CRLF at most). */
export const MAX_SERVER_DUID_FILE_SIZE = 2 * DUID_MAX_LENGTH + 2;

/**
 * The stored DUID, or why there is none usable: 'absent' (no file) or a
 * reason to log. Never blocks and never reads more than a DUID's size.
 */
export function readServerDuid(path: string): { duid: Uint8Array } | { absent: true } | { bad: string } {
  let r;
  try {
    r = readLimitedSync(path, MAX_SERVER_DUID_FILE_SIZE + 1);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return { absent: true };
    if (err.code === 'ELOOP') return { bad: 'it is a symbolic link (never followed)' };
    return { bad: `cannot read it: ${err.message}` };
  }
  if (r === undefined) return { bad: 'it is not a regular file (a FIFO, device, socket or directory: never read)' };
  if (r.size > MAX_SERVER_DUID_FILE_SIZE) return { bad: `it is larger than ${MAX_SERVER_DUID_FILE_SIZE} bytes` };
  const hex = r.text.trim();
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex) || !decodeDuid(bytes).ok) return { bad: 'it does not hold a valid DUID in hex' };
  return { duid: bytes };
}

/** A fresh DUID-LL of a random locally administered unicast MAC (IEEE 802 U/L and I/G bits). */
function freshServerDuid(): Uint8Array {
  const mac = randomBytes(6);
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return makeServerDuid(formatMac(mac));
}

export async function loadOrCreateServerDuid(datapath: string, log: Logger, opts: { fs?: PersistFs } = {}): Promise<Uint8Array> {
  const path = join(datapath, SERVER_DUID_FILE);
  const stored = readServerDuid(path);
  if ('duid' in stored) return stored.duid;
  if ('bad' in stored) log.warn({ path, reason: stored.bad }, 'server DUID file is not usable; making a new one');
  const duid = freshServerDuid();
  try {
    // Durable before it takes the name: a crash must not leave an empty file (a new DUID at the next start).
    await writeFileAtomic(datapath, SERVER_DUID_FILE, `${Buffer.from(duid).toString('hex')}\n`, {
      fs: opts.fs,
      mode: 0o644,
      ownWrites: null, // a dot file: the binding watcher never looks at it
      what: 'server DUID file',
    });
    log.info({ path, duid: formatDuid(duid) }, 'server DUID created');
  } catch (e) {
    log.warn({ path, duid: formatDuid(duid), err: (e as Error).message }, 'cannot store the server DUID; it will change at the next start');
  }
  return duid;
}
