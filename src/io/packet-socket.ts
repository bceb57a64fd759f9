/**
 * AF_PACKET sockets (packet(7)): the daemon opens one send-only socket per
 * network namespace (`receive: false`) and one receiving socket bound to each
 * bound tap (`ifindex`, see tap-sockets.ts).
 *
 * Why a receiving socket per tap and not one unbound socket for all (which
 * is faster to open: 100 taps took 1 ms vs 24 ms): every socket has its own
 * receive queue. With one shared queue, a guest sending faster than the
 * daemon reads fills it and the kernel drops every other tap's requests
 * with it (measured: a 950 kframe/s flood from one veth cost the other taps
 * all of their exchanges); with a queue per tap, the flood overflows its own
 * queue only, and the event loop, which drains at most a batch per socket
 * per turn, keeps serving the others. A tap deleted and recreated gets a new
 * ifindex and a new socket (the tap table follows it).
 *
 * Setup order is race-free: the socket receives nothing until bind() names a
 * protocol, and by then the filter is attached (the native addon's
 * openPacketReceiver does the whole setup, for one socket or, on a pool
 * thread, for thousands at start-up: openMany).
 */
import { buildOnlinkFilter } from './bpf.js';
import {
  AF_PACKET, LITTLE_ENDIAN, PACKET_ADD_MEMBERSHIP, PACKET_MR_ALLMULTI, PACKET_OUTGOING,
  PACKET_STATISTICS, SOCK_RAW, SOL_PACKET,
  RECV_DROPPED, RECV_META, RECV_META_FIELDS, RECV_TRUNCATED, TP_STATUS_CSUMNOTREADY, TP_STATUS_VLAN_VALID, errnoName, loadNative,
  type NativeAddon,
} from './native.js';

/**
 * The receive ring shared by every packet socket of this thread (the
 * native receive group): recvmmsg reads the frames of every readable
 * socket into it, and they are handed out as views, all sockets' at once,
 * once per event-loop iteration (or when the ring is full). A 16 KiB slot
 * holds a 9000-byte jumbo frame; a longer one (GSO) is cut, counted as
 * `truncated` in kernelStats() and not delivered.
 */
const RX_SLOT = 16 * 1024;
const RX_SLOTS = 64;
const rxRing = new Uint8Array(RX_SLOT * RX_SLOTS);
const rxMeta = new Int32Array(RECV_META_FIELDS * RX_SLOTS);
let onlinkFilter: Buffer | undefined;
/** The receive filter, assembled once (thousands of tap sockets share it). */
const filter = (): Buffer => (onlinkFilter ??= buildOnlinkFilter());
/** Default receive buffer of a receiving socket; the default 212 KB lost 292 of a 500-frame burst. */
const DEFAULT_RECEIVE_BUFFER = 8 * 1024 * 1024;
/** Receiving sockets of this thread by fd, for the group callback. */
const receiving = new Map<number, PacketSocket>();
let groupReady = false;

/** The group callback: frames of any number of sockets, in the order read. */
function onGroup(count: number, fd: number): void {
  if (count < 0) {
    receiving.get(fd)?.deliverError(count);
    return;
  }
  for (let i = 0; i < count; i++) {
    const m = i * RECV_META_FIELDS;
    const sock = receiving.get(rxMeta[m + RECV_META.fd]!);
    if (!sock || rxMeta[m + RECV_META.flags]! & RECV_DROPPED) continue; // closed since it was read
    sock.deliverRow(m);
  }
}

/** struct packet_mreq {int mr_ifindex; u16 mr_type; u16 mr_alen; u8 mr_address[8]} (packet(7)), host order. */
function allMulticastRequest(ifindex: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setInt32(0, ifindex, LITTLE_ENDIAN);
  v.setUint16(4, PACKET_MR_ALLMULTI, LITTLE_ENDIAN);
  return b;
}

export interface ReceivedFrame {
  /** Interface the frame arrived on (per namespace). */
  ifindex: number;
  /** The Ethernet frame; an 802.1Q tag, if any, was removed by the kernel. */
  data: Uint8Array;
  /** sll_pkttype: PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3. */
  pkttype: number;
  /** TP_STATUS_CSUMNOTREADY: a checksum-offloading guest left the L4 checksum
   * incomplete; it is not an error and must not be verified. */
  checksumNotReady: boolean;
  /** The stripped 802.1Q TCI, present only when the frame carried a tag. */
  vlanTci?: number;
}

export type SendResult = { ok: true; bytes: number } | { ok: false; error: string };

const CLOSED: SendResult = { ok: false, error: 'EBADF' };
/** A native send's result (bytes sent or -errno) as a SendResult. */
const sent = (r: number): SendResult => (r >= 0 ? { ok: true, bytes: r } : { ok: false, error: errnoName(r) });

export interface PacketSocketOptions {
  /** Receive buffer; the default 212 KB lost 292 of a 500-frame burst (one socket for many taps). */
  receiveBufferBytes?: number;
  /** Receive only this interface's frames (bind to its ifindex). 0 or absent: every interface. */
  ifindex?: number;
  /** false: a send-only socket (bound to no protocol, the kernel queues nothing for it). Default true. */
  receive?: boolean;
  /** Receive filter (SO_ATTACH_FILTER program); default the taps' (bpf.ts). */
  filter?: Uint8Array;
  /**
   * Also receive every multicast frame of `ifindex` (PACKET_MR_ALLMULTI): a
   * NIC filters multicast in hardware, and an NS for a VM's address goes to
   * a solicited-node group no local address joined (the uplink proxy).
   * The membership ends with the socket.
   */
  allMulticast?: boolean;
}

export class PacketSocket {
  private frameHandlers: Array<(frame: ReceivedFrame) => void> = [];
  private errorHandlers: Array<(error: string) => void> = [];
  private totals = { packets: 0, drops: 0, truncated: 0 };
  private closed = false;
  private paused = false;
  private started = false;

  private constructor(
    private readonly native: NativeAddon,
    private readonly fd: number,
  ) {}

  /** Opens the socket in the calling process's network namespace. Throws a
   * system error (EPERM without CAP_NET_RAW). */
  static open(options: PacketSocketOptions = {}): PacketSocket {
    const n = loadNative();
    if (options.receive === false) {
      const fd = n.socket(AF_PACKET, SOCK_RAW, 0);
      // Protocol 0: no packet type is registered, nothing is ever queued.
      try {
        n.bindPacket(fd, 0, 0);
      } catch (e) {
        n.close(fd);
        throw e;
      }
      return new PacketSocket(n, fd);
    }
    const fd = n.openPacketReceiver(options.ifindex ?? 0, options.filter ?? filter(), options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
    const sock = new PacketSocket(n, fd);
    try {
      if (options.allMulticast) n.setsockoptBuffer(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, allMulticastRequest(options.ifindex ?? 0));
      sock.start();
    } catch (e) {
      sock.close();
      throw e;
    }
    return sock;
  }

  /**
   * Receiving sockets for many interfaces at once, opened on a pool thread
   * (see NativeAddon.openPacketReceivers) while the event loop goes on.
   * Resolves with, per ifindex, a socket that is bound and queueing but not
   * yet read (start() it), or the errno name it failed with.
   */
  static openMany(ifindexes: readonly number[], receiveBufferBytes = DEFAULT_RECEIVE_BUFFER): Promise<Map<number, PacketSocket | string>> {
    const n = loadNative();
    return new Promise((resolve) => {
      n.openPacketReceivers(Int32Array.from(ifindexes), filter(), receiveBufferBytes, (results) => {
        const out = new Map<number, PacketSocket | string>();
        ifindexes.forEach((ifindex, i) => out.set(ifindex, results[i]! >= 0 ? new PacketSocket(n, results[i]!) : errnoName(results[i]!)));
        resolve(out);
      });
    });
  }

  /**
   * Starts reading (into the thread's receive group); a socket from open()
   * has started already. Throws a system error when the poll cannot start
   * (the socket is then as before: not reading, to be closed by the caller).
   */
  start(): void {
    if (this.closed || this.started) return;
    if (!groupReady) {
      this.native.setRecvGroup(rxRing, rxMeta, RX_SLOT, onGroup);
      groupReady = true;
    }
    this.native.startRecvGroup(this.fd);
    this.started = true;
    receiving.set(this.fd, this);
  }

  onFrame(cb: (frame: ReceivedFrame) => void): void {
    this.frameHandlers.push(cb);
  }

  /** Socket errors reported while receiving (errno names); rare on an unbound socket. */
  onError(cb: (error: string) => void): void {
    this.errorHandlers.push(cb);
  }

  /** Sends a complete Ethernet frame on ifindex. Never throws: ENETDOWN (link
   * down) and ENXIO (interface gone) are routine for taps. */
  send(ifindex: number, frame: Uint8Array): SendResult {
    return this.closed ? CLOSED : sent(this.native.sendPacket(this.fd, ifindex, frame));
  }

  /**
   * Sends a complete Ethernet frame on the interface this socket is bound
   * to. No address, so the kernel takes the device the bind cached instead
   * of looking the ifindex up: that lookup walks a 256-bucket hash of every
   * interface in the namespace, and with thousands of taps it was the
   * largest kernel cost of a reply (perf: dev_get_by_index). Never throws.
   */
  sendBound(frame: Uint8Array): SendResult {
    return this.closed ? CLOSED : sent(this.native.send(this.fd, frame));
  }

  /** Frames longer than a receive-ring slot, cut by the kernel and not delivered, since open. */
  get truncated(): number {
    return this.totals.truncated;
  }

  /** Frames seen by the socket and dropped for lack of buffer space, since
   * open. PACKET_STATISTICS resets on every read, so we accumulate. */
  kernelStats(): { packets: number; drops: number } {
    if (!this.closed) {
      const b = this.native.getsockoptBuffer(this.fd, SOL_PACKET, PACKET_STATISTICS, 8);
      if (b.length >= 8) {
        // struct tpacket_stats { u32 tp_packets; u32 tp_drops; }, host order;
        // the kernel already counts drops in tp_packets.
        this.totals.packets += LITTLE_ENDIAN ? b.readUInt32LE(0) : b.readUInt32BE(0);
        this.totals.drops += LITTLE_ENDIAN ? b.readUInt32LE(4) : b.readUInt32BE(4);
      }
    }
    return { ...this.totals };
  }

  /**
   * Stops reading until resume(): frames wait in the kernel's queue and, once
   * it is full, are dropped there (counted in kernelStats) at no cost to the
   * daemon. Safe from inside a frame handler (what was read already is still delivered).
   */
  pause(): void {
    if (this.closed || this.paused) return;
    this.paused = true;
    this.native.stopRecv(this.fd);
  }

  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    if (this.started) this.native.startRecvGroup(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close(this.fd); // also stops the poll handle; its undelivered frames are flagged dropped
    if (receiving.get(this.fd) === this) receiving.delete(this.fd);
  }

  /** A socket error from the receive group (-errno). */
  deliverError(errno: number): void {
    const name = errnoName(errno);
    for (const h of this.errorHandlers) h(name);
  }

  /**
   * The frame of meta row `m` in the shared receive ring. Its `data` is a
   * view into the ring: valid only during the onFrame callback (the next
   * delivery, of this or any other packet socket of the thread, overwrites
   * it); a handler that keeps a frame must copy it. After pause() from a
   * handler, frames already read are still delivered; the kernel keeps the rest.
   */
  deliverRow(m: number): void {
    if (this.closed) return;
    if (rxMeta[m + RECV_META.flags]! & RECV_TRUNCATED) {
      this.totals.truncated++; // longer than a ring slot (GSO): nothing onlinkd answers is
      return;
    }
    if (rxMeta[m + RECV_META.pkttype]! === PACKET_OUTGOING) return; // our own sends, on old kernels
    const tpStatus = rxMeta[m + RECV_META.tpStatus]! >>> 0;
    const frame: ReceivedFrame = {
      ifindex: rxMeta[m + RECV_META.ifindex]!,
      // A plain Uint8Array view: a Buffer's subarray() (which every decoder layer calls) is several times slower.
      data: new Uint8Array(rxRing.buffer, rxRing.byteOffset + rxMeta[m + RECV_META.offset]!, rxMeta[m + RECV_META.length]!),
      pkttype: rxMeta[m + RECV_META.pkttype]!,
      checksumNotReady: (tpStatus & TP_STATUS_CSUMNOTREADY) !== 0,
    };
    if (tpStatus & TP_STATUS_VLAN_VALID) frame.vlanTci = rxMeta[m + RECV_META.vlanTci]!;
    for (const h of this.frameHandlers) h(frame);
  }
}
