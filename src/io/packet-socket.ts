/**
 * One unbound AF_PACKET socket per network namespace (packet(7)).
 *
 * Why one socket for all taps: opening 100 taps took 1 ms vs 24 ms for one
 * socket per tap, and an unbound socket survives a tap being deleted and
 * recreated with a new ifindex (a bound one gets ENETDOWN and is dead). The
 * price is that the BPF program sees every frame in the namespace, so the
 * daemon must still check the ifindex against its managed taps.
 *
 * Setup order is race-free: the socket receives nothing until bind() names a
 * protocol, and by then the filter is attached.
 */
import { buildOnlinkFilter } from './bpf.js';
import {
  AF_PACKET, ETH_P_ALL, LITTLE_ENDIAN, PACKET_AUXDATA, PACKET_IGNORE_OUTGOING, PACKET_OUTGOING,
  PACKET_STATISTICS, SOCK_RAW, SOL_PACKET, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE,
  TP_STATUS_CSUMNOTREADY, TP_STATUS_VLAN_VALID, errnoName, loadNative, type NativeAddon,
} from './native.js';

export interface ReceivedFrame {
  /** Interface the frame arrived on (per namespace). */
  ifindex: number;
  /** The Ethernet frame; an 802.1Q tag, if any, was removed by the kernel. */
  data: Buffer;
  /** sll_pkttype: PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3. */
  pkttype: number;
  /** TP_STATUS_CSUMNOTREADY: a checksum-offloading guest left the L4 checksum
   * incomplete; it is not an error and must not be verified. */
  checksumNotReady: boolean;
  /** The stripped 802.1Q TCI, present only when the frame carried a tag. */
  vlanTci?: number;
}

export type SendResult = { ok: true; bytes: number } | { ok: false; error: string };

export interface PacketSocketOptions {
  /** Receive buffer; the default 212 KB lost 292 of a 500-frame burst. */
  receiveBufferBytes?: number;
}

export class PacketSocket {
  private frameHandlers: Array<(frame: ReceivedFrame) => void> = [];
  private errorHandlers: Array<(error: string) => void> = [];
  private totals = { packets: 0, drops: 0 };
  private closed = false;

  private constructor(
    private readonly native: NativeAddon,
    private readonly fd: number,
  ) {}

  /** Opens the socket in the calling process's network namespace. Throws a
   * system error (EPERM without CAP_NET_RAW). */
  static open(options: PacketSocketOptions = {}): PacketSocket {
    const n = loadNative();
    const fd = n.socket(AF_PACKET, SOCK_RAW, 0);
    try {
      n.attachFilter(fd, buildOnlinkFilter());
      n.setsockoptInt(fd, SOL_PACKET, PACKET_AUXDATA, 1);
      // Linux >= 4.20: our own replies are not looped back to us. The pkttype
      // check below covers older kernels, so failure here is not fatal.
      try {
        n.setsockoptInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
      } catch {
        /* fall back to the pkttype check */
      }
      const size = options.receiveBufferBytes ?? 8 * 1024 * 1024;
      try {
        n.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size); // needs CAP_NET_ADMIN
      } catch {
        n.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, size); // capped by net.core.rmem_max
      }
      n.bindPacket(fd, ETH_P_ALL, 0);
    } catch (e) {
      n.close(fd);
      throw e;
    }
    const sock = new PacketSocket(n, fd);
    n.startRecv(fd, (err, data, ifindex, pkttype, tpStatus, vlanTci) => sock.dispatch(err, data, ifindex, pkttype, tpStatus, vlanTci));
    return sock;
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
    if (this.closed) return { ok: false, error: 'EBADF' };
    const r = this.native.sendPacket(this.fd, ifindex, frame);
    return r >= 0 ? { ok: true, bytes: r } : { ok: false, error: errnoName(r) };
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

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close(this.fd); // also stops the poll handle
  }

  private dispatch(err: number, data: Buffer | null, ifindex: number, pkttype: number, tpStatus: number, vlanTci: number): void {
    if (err !== 0 || data === null) {
      const name = errnoName(err);
      for (const h of this.errorHandlers) h(name);
      return;
    }
    if (pkttype === PACKET_OUTGOING) return; // our own sends, on old kernels
    const frame: ReceivedFrame = {
      ifindex,
      data,
      pkttype,
      checksumNotReady: (tpStatus & TP_STATUS_CSUMNOTREADY) !== 0,
    };
    if (tpStatus & TP_STATUS_VLAN_VALID) frame.vlanTci = vlanTci;
    for (const h of this.frameHandlers) h(frame);
  }
}
