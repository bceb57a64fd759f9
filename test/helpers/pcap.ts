/**
 * Classic libpcap files (not pcapng): just enough to read the captured
 * fixtures in test/fixtures/ and to write trimmed copies of them.
 *
 * Format: a 24-byte global header (magic, version 2.4, thiszone, sigfigs,
 * snaplen, linktype) followed by records of a 16-byte header (ts_sec,
 * ts_usec or ts_nsec, incl_len, orig_len) and incl_len bytes. Both byte
 * orders and the nanosecond magic are accepted on read; writes are
 * little-endian microsecond files, which is what tcpdump writes on x86.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LINKTYPE_ETHERNET = 1;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

export interface PcapFrame {
  /** Seconds since the epoch. */
  tsSec: number;
  /** Sub-second part, always in microseconds (nanosecond files are scaled). */
  tsUsec: number;
  /** Length of the frame on the wire (may exceed data.length when truncated by snaplen). */
  origLen: number;
  data: Uint8Array;
}

export interface PcapFile {
  linktype: number;
  snaplen: number;
  frames: PcapFrame[];
}

export class PcapError extends Error {
  override readonly name = 'PcapError';
}

/** Parse a classic pcap file. Throws PcapError on anything malformed or truncated. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < GLOBAL_HEADER_LEN) throw new PcapError(`pcap: file too short (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little: boolean;
  let nano: boolean;
  const magicLE = view.getUint32(0, true);
  const magicBE = view.getUint32(0, false);
  if (magicLE === MAGIC_US || magicLE === MAGIC_NS) {
    little = true;
    nano = magicLE === MAGIC_NS;
  } else if (magicBE === MAGIC_US || magicBE === MAGIC_NS) {
    little = false;
    nano = magicBE === MAGIC_NS;
  } else {
    throw new PcapError(`pcap: bad magic 0x${magicBE.toString(16).padStart(8, '0')} (pcapng is not supported)`);
  }
  const major = view.getUint16(4, little);
  if (major !== 2) throw new PcapError(`pcap: unsupported version ${major}`);
  const snaplen = view.getUint32(16, little);
  const linktype = view.getUint32(20, little) & 0x0fffffff;
  const frames: PcapFrame[] = [];
  let off = GLOBAL_HEADER_LEN;
  while (off < bytes.length) {
    if (bytes.length - off < RECORD_HEADER_LEN) throw new PcapError(`pcap: truncated record header at offset ${off}`);
    const tsSec = view.getUint32(off, little);
    const frac = view.getUint32(off + 4, little);
    const inclLen = view.getUint32(off + 8, little);
    const origLen = view.getUint32(off + 12, little);
    off += RECORD_HEADER_LEN;
    if (inclLen > bytes.length - off) throw new PcapError(`pcap: record of ${inclLen} bytes overruns the file at offset ${off}`);
    frames.push({
      tsSec,
      tsUsec: nano ? Math.floor(frac / 1000) : frac,
      origLen,
      data: bytes.slice(off, off + inclLen),
    });
    off += inclLen;
  }
  return { linktype, snaplen, frames };
}

/** Serialize frames as a little-endian microsecond pcap file. */
export function writePcap(frames: readonly PcapFrame[], linktype = LINKTYPE_ETHERNET, snaplen = 262144): Uint8Array {
  const total = GLOBAL_HEADER_LEN + frames.reduce((n, f) => n + RECORD_HEADER_LEN + f.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setInt32(8, 0, true);
  view.setUint32(12, 0, true);
  view.setUint32(16, snaplen, true);
  view.setUint32(20, linktype, true);
  let off = GLOBAL_HEADER_LEN;
  for (const f of frames) {
    view.setUint32(off, f.tsSec, true);
    view.setUint32(off + 4, f.tsUsec, true);
    view.setUint32(off + 8, f.data.length, true);
    view.setUint32(off + 12, Math.max(f.origLen, f.data.length), true);
    out.set(f.data, off + RECORD_HEADER_LEN);
    off += RECORD_HEADER_LEN + f.data.length;
  }
  return out;
}

/** Absolute path of a file in test/fixtures/. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/**
 * Frames of a captured fixture, e.g. `fixture('dhclient-discover')` or
 * `fixture('rdisc6-rs.pcap')`. Only Ethernet captures are accepted.
 */
export function fixture(name: string): Uint8Array[] {
  const file = name.endsWith('.pcap') ? name : `${name}.pcap`;
  const pcap = readPcap(new Uint8Array(readFileSync(fixturePath(file))));
  if (pcap.linktype !== LINKTYPE_ETHERNET) {
    throw new PcapError(`fixture ${file}: linktype ${pcap.linktype}, expected Ethernet (1)`);
  }
  return pcap.frames.map((f) => f.data);
}

/** The `index`-th frame of a fixture (default the first); throws when absent. */
export function fixtureFrame(name: string, index = 0): Uint8Array {
  const frames = fixture(name);
  const frame = frames[index];
  if (!frame) throw new PcapError(`fixture ${name}: no frame ${index} (it has ${frames.length})`);
  return frame;
}
