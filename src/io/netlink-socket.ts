/**
 * The NETLINK_ROUTE socket of the link monitor and of the route manager's
 * routes and rules: one opener, and the transport they see (injectable, so
 * tests feed bytes through a fake).
 */
import { AF_NETLINK, NETLINK_ROUTE, SOCK_RAW, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE, loadNative } from './native.js';

/** What a netlink user needs from a socket; injectable so tests can feed bytes. */
export interface NetlinkTransport {
  /** Returns bytes sent or -errno. */
  send(data: Uint8Array): number;
  /** err: positive errno (data null) or 0. */
  start(onData: (err: number, data: Buffer | null) => void): void;
  close(): void;
}

/**
 * A non-blocking NETLINK_ROUTE socket bound to the multicast `groups`
 * (RTMGRP_*; 0: requests, their ACKs and dump replies only), its receive
 * buffer `receiveBufferBytes`: SO_RCVBUFFORCE, which needs CAP_NET_ADMIN,
 * else SO_RCVBUF (capped by net.core.rmem_max). Throws a system error.
 */
export function openRouteNetlinkSocket(groups: number, receiveBufferBytes: number): NetlinkTransport {
  const n = loadNative();
  const fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  try {
    try {
      n.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, receiveBufferBytes);
    } catch {
      n.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, receiveBufferBytes);
    }
    n.bindNetlink(fd, groups);
  } catch (e) {
    n.close(fd);
    throw e;
  }
  return {
    send: (data) => n.send(fd, data),
    start: (onData) => n.startRecv(fd, (err, data) => onData(err, data)),
    close: () => n.close(fd),
  };
}
