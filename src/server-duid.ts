/**
 * The DHCPv6 server DUID must not change over time (RFC 8415 §11): it is a
 * DUID-LL of a locally administered MAC chosen once and kept in the state
 * directory as `.server-duid` (a dot file, so the binding watcher ignores
 * it). When the directory is not writable the DUID still works for this
 * run, and a warning says it will change at the next start.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { makeServerDuid } from './protocols/dhcp6.js';
import { decodeDuid, formatDuid } from './wire/duid.js';
import { formatMac } from './wire/addr.js';

export const SERVER_DUID_FILE = '.server-duid';

export function loadOrCreateServerDuid(datapath: string, log: Logger): Uint8Array {
  const path = join(datapath, SERVER_DUID_FILE);
  try {
    const hex = readFileSync(path, 'utf8').trim();
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
    if (/^[0-9a-f]+$/i.test(hex) && decodeDuid(bytes).ok) return bytes;
    log.warn({ path }, 'server DUID file is not a valid DUID; making a new one');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ path, err: (e as Error).message }, 'cannot read server DUID file');
  }
  const mac = randomBytes(6);
  mac[0] = (mac[0]! & 0xfc) | 0x02; // locally administered, unicast
  const duid = makeServerDuid(formatMac(mac));
  try {
    const tmp = `${path}.tmp-${process.pid}`;
    // Durable before it takes the name: a crash must not leave an empty file (a new DUID at the next start).
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, `${Buffer.from(duid).toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    log.info({ path, duid: formatDuid(duid) }, 'server DUID created');
  } catch (e) {
    log.warn({ path, err: (e as Error).message }, 'cannot store the server DUID; it will change at the next start');
  }
  return duid;
}
