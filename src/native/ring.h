/*
 * The receive group's ring layout, which JavaScript reads in place: written
 * down once, here, and exported to JS as the addon's `ringLayout`
 * (recv-group.c: ring_layout), which src/io/native.ts reads at load.
 *
 * The ring is a JS-owned Uint8Array of whole slots, one frame per slot; a
 * JS-owned Int32Array holds one meta row of META_FIELDS int32 per frame.
 */
#ifndef ONLINKD_RING_H
#define ONLINKD_RING_H

/* The fields of a meta row, in order. */
enum {
  META_OFFSET,    /* the frame's byte offset in the ring (its slot) */
  META_LENGTH,    /* bytes received (at most a slot) */
  META_IFINDEX,   /* sockaddr_ll (0 for other families) */
  META_PKTTYPE,   /* sockaddr_ll */
  META_TP_STATUS, /* PACKET_AUXDATA */
  META_VLAN_TCI,  /* PACKET_AUXDATA */
  META_FLAGS,     /* META_TRUNCATED | META_DROPPED */
  META_FD,        /* the socket it was read from */
  META_FIELDS
};

/* META_FLAGS bits. */
#define META_TRUNCATED 1 /* longer than a slot: cut */
#define META_DROPPED 2   /* its socket was closed before delivery (the fd may be reused) */

/* Slot sizes setRecvGroup accepts: at most the single-socket receive buffer (RXBUF_SIZE). */
#define RING_SLOT_MIN 64
#define RING_SLOT_MAX RXBUF_SIZE

#endif
