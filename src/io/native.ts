/**
 * Typed access to the native socket layer (src/native/, module.c lists its files).
 *
 * The addon is generic: it opens, configures, binds, sends and polls sockets
 * and reports errno values. Which options and which BPF program are used is
 * decided here in TypeScript (packet-socket.ts, link-monitor.ts), except the
 * fixed setup order of a per-tap receiving socket (openPacketReceiver), which
 * the addon runs itself so that start-up can do it on a pool thread.
 *
 * Error convention (see src/native/module.c's header):
 *   - setup calls throw a Node-style system error (`code` 'EPERM', negative
 *     `errno`, `syscall`);
 *   - sendPacket/send/sendToUnix return bytes sent (>= 0) or -errno and never
 *     throw for an OS error;
 *   - the receive callback gets `err` (positive errno, `data` null) or 0.
 */
import { createRequire } from 'node:module';
import os from 'node:os';

/** cb(err, data, ifindex, pkttype, tpStatus, vlanTci). ifindex/pkttype are from
 * sockaddr_ll and tpStatus/vlanTci from PACKET_AUXDATA; all 0 for non-AF_PACKET. */
export type RecvCallback = (
  err: number,
  data: Buffer | null,
  ifindex: number,
  pkttype: number,
  tpStatus: number,
  vlanTci: number,
) => void;

/**
 * The receive group's ring layout, as the addon exports it (`ringLayout`,
 * written down once in src/native/ring.h): a Uint8Array of slots, one frame
 * each, and an Int32Array of `metaFields` int32 per frame.
 */
export interface RingLayout {
  /** Int32 fields per frame in the meta array. */
  readonly metaFields: number;
  /** Index of each field in a frame's meta row: offset in the ring, length,
   * ifindex, pkttype, tp_status, vlan_tci, flags, the socket's fd. */
  readonly meta: RecvMetaFields;
  /** flags bit: the frame was longer than a ring slot and was cut. */
  readonly truncated: number;
  /** flags bit: the frame's socket was closed before delivery (its fd may be reused). */
  readonly dropped: number;
  /** Slot sizes setRecvGroup accepts (bytes). */
  readonly slotMin: number;
  readonly slotMax: number;
}

export interface RecvMetaFields {
  readonly offset: number;
  readonly length: number;
  readonly ifindex: number;
  readonly pkttype: number;
  readonly tpStatus: number;
  readonly vlanTci: number;
  readonly flags: number;
  readonly fd: number;
}

/** Receive group: `count` > 0 frames in rows 0..count-1 (RECV_META.fd says whose), or (-errno, fd). */
export type RecvGroupCallback = (count: number, fd: number) => void;

export interface NativeAddon {
  /** The receive ring's layout (read at load into the RECV_* constants below). */
  readonly ringLayout: RingLayout;
  /** Always adds SOCK_NONBLOCK | SOCK_CLOEXEC. Returns the fd. */
  socket(domain: number, type: number, protocol: number): number;
  /** Closes an fd opened by socket() (stops receiving first); EBADF otherwise. */
  close(fd: number): void;
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  /** An option that is a struct (at most 256 bytes), laid out by the caller in host order. */
  setsockoptBuffer(fd: number, level: number, name: number, value: Uint8Array): void;
  /** Returns at most `length` bytes: what the kernel wrote. */
  getsockoptBuffer(fd: number, level: number, name: number, length: number): Buffer;
  /** SO_ATTACH_FILTER with an array of struct sock_filter (see bpf.ts). */
  attachFilter(fd: number, program: Uint8Array): void;
  /** sockaddr_ll bind; protocol in host order (htons done in C); ifindex 0 = all. */
  bindPacket(fd: number, protocol: number, ifindex: number): void;
  bindNetlink(fd: number, groups: number): void;
  /** A leading '@' or '\0' names an abstract socket (unix(7)). */
  bindUnix(fd: number, path: string): void;
  sendToUnix(fd: number, path: string, data: Uint8Array): number;
  /** sendto with sockaddr_ll{ifindex, halen 6, addr = frame[0..6]}; frame >= 14 bytes.
   * `length` sends only frame[0..length) (a reused encode buffer); -EINVAL when longer than frame. */
  sendPacket(fd: number, ifindex: number, frame: Uint8Array, length?: number): number;
  send(fd: number, data: Uint8Array): number;
  /** Polls on the env's own loop; drains up to 256 datagrams per wake-up. */
  startRecv(fd: number, callback: RecvCallback): void;
  /**
   * The thread's receive group (once; EBUSY after): every socket started
   * with startRecvGroup recvmmsg()s into `ring` (one `slotSize` slot per
   * frame; frames longer than a slot are cut and flagged RECV_TRUNCATED),
   * with frame i described by meta[i*8 ..] (RECV_META), and `callback` is
   * called once per event-loop iteration (or when the ring is full) for the
   * frames of all of them: no allocation per frame, and thousands of
   * sockets with traffic spread over them cost one JS call per iteration.
   * Frames are valid only until the callback returns.
   */
  setRecvGroup(ring: Uint8Array, meta: Int32Array, slotSize: number, callback: RecvGroupCallback): void;
  /**
   * A per-tap receiving AF_PACKET socket in one call, set up in the order
   * that never queues an unfiltered frame (socket, `filter`, PACKET_AUXDATA,
   * PACKET_IGNORE_OUTGOING if the kernel has it, receive buffer of `rcvbuf`
   * bytes, bind ETH_P_ALL to `ifindex`). Not yet polled (startRecvGroup).
   * Throws a system error naming the failing call.
   */
  openPacketReceiver(ifindex: number, filter: Uint8Array, rcvbuf: number): number;
  /**
   * openPacketReceiver for many ifindexes at once, on a libuv pool thread
   * (with thousands of taps the kernel's socket creation is the slowest part
   * of start-up; this lets it overlap the event loop's work). `callback`
   * gets, per ifindex, the fd or -errno.
   */
  openPacketReceivers(ifindexes: Int32Array, filter: Uint8Array, rcvbuf: number, callback: (results: Int32Array) => void): void;
  /** Polls fd into the receive group; stopRecv stops it (frames already read are still delivered; a closed fd's are flagged RECV_DROPPED). */
  startRecvGroup(fd: number): void;
  stopRecv(fd: number): void;
  /** 0 when there is no such interface (in this process's namespace). */
  ifNameToIndex(name: string): number;
  ifIndexToName(index: number): string | undefined;
  /**
   * Root only, once: every thread of the process becomes uid/gid with the
   * supplementary `groups` (at most 64), keeping exactly the capabilities
   * `keepCaps` (effective = permitted = bounding set; inheritable and
   * ambient empty), with no_new_privs. A thread no signal reaches (one that
   * blocks them all: Node's SIGUSR1 watchdog) is left with no capability at
   * all and is listed in `capless`. Read back from /proc/self/task; throws
   * (EPERM, the failing step and thread in the message) when any thread is
   * in another state, after which the process must exit.
   */
  dropPrivileges(uid: number, gid: number, groups: readonly number[], keepCaps: readonly number[]): DropResult;
}

export interface DropResult {
  /** Threads checked after the drop. */
  threads: number;
  /** Of those, with exactly the kept capabilities. */
  kept: number;
  /** Thread ids left with no capability at all. */
  capless: number[];
}

/** <linux/capability.h> */
export const CAP_NET_RAW = 13;
/** Route changes over netlink (`[routing] manage`). */
export const CAP_NET_ADMIN = 12;

// <sys/socket.h>, <linux/if_packet.h>, <linux/netlink.h>, <linux/rtnetlink.h>
export const AF_UNIX = 1;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
export const SOL_PACKET = 263;
export const PACKET_STATISTICS = 6;
export const PACKET_ADD_MEMBERSHIP = 1;
/** packet_mreq.mr_type: every multicast frame the device sees (IFF_ALLMULTI, counted per membership). */
export const PACKET_MR_ALLMULTI = 2;
/** sll_pkttype values (linux/if_packet.h). */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
/** tpacket_auxdata.tp_status bits. */
export const TP_STATUS_CSUMNOTREADY = 0x8;
export const TP_STATUS_VLAN_VALID = 0x10;
export const NETLINK_ROUTE = 0;
export const RTMGRP_LINK = 0x1;

/** struct sock_filter and the tpacket_stats are in host byte order. */
export const LITTLE_ENDIAN = os.endianness() === 'LE';

const errnoNames = new Map<number, string>(
  Object.entries(os.constants.errno).map(([name, n]) => [n, name]),
);

/** 'ENETDOWN' for 100 (or -100); 'E<n>' when unknown. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return errnoNames.get(n) ?? `E${n}`;
}

/** The shape of the errors thrown by the addon's setup calls. */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as SystemError).code === 'string' && typeof (e as SystemError).errno === 'number';
}

const META_KEYS = ['offset', 'length', 'ifindex', 'pkttype', 'tpStatus', 'vlanTci', 'flags', 'fd'] as const;

const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;

/** What is wrong with an addon's ringLayout, or undefined when it can be used. */
export function ringLayoutProblem(l: RingLayout | undefined): string | undefined {
  if (typeof l !== 'object' || l === null || typeof l.meta !== 'object' || l.meta === null) return 'ringLayout is missing';
  if (!isCount(l.metaFields)) return `ringLayout.metaFields is ${String(l.metaFields)}`;
  const seen = new Set<number>();
  for (const k of META_KEYS) {
    const i = l.meta[k];
    if (!Number.isInteger(i) || i < 0 || i >= l.metaFields || seen.has(i)) return `ringLayout.meta.${k} is ${String(i)}`;
    seen.add(i);
  }
  const bit = (n: number): boolean => isCount(n) && (n & (n - 1)) === 0;
  if (!bit(l.truncated) || !bit(l.dropped) || l.truncated === l.dropped) return 'ringLayout flag bits are not two distinct bits';
  if (!isCount(l.slotMin) || !isCount(l.slotMax) || l.slotMin > l.slotMax) return 'ringLayout slot bounds are invalid';
  return undefined;
}

/**
 * The addon, loaded once when this module is (the ring layout below must be
 * known before the packet path's modules size their arrays). A failure is
 * kept and thrown by loadNative(), so modules that merely import io/ (and
 * their unit tests) work on a machine where it was not built. The relative
 * path is the same from src/io (tests) and dist/io (installed daemon).
 */
function load(): { addon?: NativeAddon; error?: Error } {
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)('../../build/Release/onlinkd_native.node') as NativeAddon;
  } catch (e) {
    return {
      error: new Error(
        `onlinkd native addon not loadable (${(e as Error).message}); build it with "npm run install" (node-gyp rebuild, bundled with npm; offline it needs nodedir=/usr in ~/.npmrc)`,
      ),
    };
  }
  const problem = ringLayoutProblem(addon.ringLayout);
  if (problem) {
    return {
      error: new Error(
        `onlinkd native addon unusable: ${problem} (build/Release/onlinkd_native.node is older than src/io/native.ts? rebuild it with "npm run install")`,
      ),
    };
  }
  return { addon };
}

const loaded = load();

/** The addon; throws why it cannot be used (not built, or built from older sources). */
export function loadNative(): NativeAddon {
  if (loaded.error) throw loaded.error;
  return loaded.addon!;
}

/* The ring layout as module constants, read once here: the packet path
 * reads rows with these, never through the addon object. Without a usable
 * addon they are zeros, which nothing reads (loadNative throws first). */
const layout = loaded.addon?.ringLayout;
/** Int32 fields per frame in the receive group's meta array. */
export const RECV_META_FIELDS: number = layout?.metaFields ?? 0;
/** Row layout: index of each field in a frame's meta row (RingLayout.meta). */
export const RECV_META: RecvMetaFields = {
  offset: layout?.meta.offset ?? 0,
  length: layout?.meta.length ?? 0,
  ifindex: layout?.meta.ifindex ?? 0,
  pkttype: layout?.meta.pkttype ?? 0,
  tpStatus: layout?.meta.tpStatus ?? 0,
  vlanTci: layout?.meta.vlanTci ?? 0,
  flags: layout?.meta.flags ?? 0,
  fd: layout?.meta.fd ?? 0,
};
/** flags bit: the frame was longer than a ring slot and was cut. */
export const RECV_TRUNCATED: number = layout?.truncated ?? 0;
/** flags bit (receive group): the frame's socket was closed before delivery (its fd may be reused); skip it. */
export const RECV_DROPPED: number = layout?.dropped ?? 0;
