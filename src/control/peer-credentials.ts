/**
 * Who is at the other end of a connected Unix socket, as the kernel says:
 * SO_PEERCRED and SO_PEERGROUPS (socket(7), unix(7)). Both describe the
 * peer as it was at connect() time, so a client cannot change them later
 * (e.g. by passing its fd to a less privileged process).
 */
import type net from 'node:net';
import { LITTLE_ENDIAN, SOL_SOCKET, isSystemError, loadNative, type NativeAddon } from '../io/native.js';

export const SO_PEERCRED = 17;
/** Linux ≥ 4.13. */
export const SO_PEERGROUPS = 59;

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups; empty when the kernel predates SO_PEERGROUPS. */
  groups: number[];
}

/**
 * Reads SO_PEERCRED (struct ucred {pid_t pid; uid_t uid; gid_t gid;}, host
 * byte order) and SO_PEERGROUPS (gid_t[]) of a connected Unix socket.
 */
export function readPeerCredentials(fd: number, native: NativeAddon = loadNative()): PeerCredentials {
  const b = native.getsockoptBuffer(fd, SOL_SOCKET, SO_PEERCRED, 12);
  if (b.length < 12) throw new Error(`SO_PEERCRED returned ${b.length} bytes`);
  const u32 = (off: number) => (LITTLE_ENDIAN ? b.readUInt32LE(off) : b.readUInt32BE(off));
  const pid = LITTLE_ENDIAN ? b.readInt32LE(0) : b.readInt32BE(0);
  return { pid, uid: u32(4), gid: u32(8), groups: readPeerGroups(fd, native) };
}

function readPeerGroups(fd: number, native: NativeAddon): number[] {
  let raw: Buffer | undefined;
  // Most peers have a handful of groups; the kernel answers ERANGE when the buffer is short.
  for (const size of [256 * 4, 65536 * 4]) {
    try {
      raw = native.getsockoptBuffer(fd, SOL_SOCKET, SO_PEERGROUPS, size);
      break;
    } catch (e) {
      if (isSystemError(e) && e.code === 'ERANGE') continue;
      if (isSystemError(e) && e.code === 'ENOPROTOOPT') return []; // kernel < 4.13: primary gid only
      throw e;
    }
  }
  if (!raw) return [];
  const groups: number[] = [];
  for (let off = 0; off + 4 <= raw.length; off += 4) groups.push(LITTLE_ENDIAN ? raw.readUInt32LE(off) : raw.readUInt32BE(off));
  return groups;
}

/** The credentials of an accepted net.Socket (its libuv handle's fd). */
export function socketPeerCredentials(socket: net.Socket): PeerCredentials {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('control connection has no file descriptor');
  return readPeerCredentials(fd);
}
