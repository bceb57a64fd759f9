/*
 * olkgen: a load generator for on-link responders, playing the VM side of
 * one or many taps (onlinkd benchmark, issue 5).
 *
 * It sends what a guest on a tap sends, from a raw AF_PACKET socket in the
 * "VM" network namespace, and measures the answers:
 *
 *   dora  DHCPDISCOVER -> OFFER, then DHCPREQUEST (server id and address
 *         from the OFFER) -> ACK; one exchange = both round trips
 *   rs    Router Solicitation -> Router Advertisement
 *   ns    Neighbor Solicitation for a target (the gateway) -> Neighbor Advertisement
 *   ir    DHCPv6 Information-Request -> Reply
 *   solicit  DHCPv6 Solicit (IA_NA) -> Advertise, then Request (server id
 *         and address from the Advertise) -> Reply; one exchange = both
 *         round trips (RFC 8415 §18.2.1, §18.2.2), as dora for DHCPv4
 *
 * Modes (closed or open loop):
 *   window N   keep N exchanges in flight (pingpong = window 1)
 *   flood      open loop: start exchanges as fast as --rate allows (or as
 *              fast as the socket takes them), whatever the answers
 *   listen     send nothing; count unsolicited (multicast) RAs
 *
 * Matching: DHCPv4 by xid, DHCPv6 by transaction id; RS and NS carry no id,
 * so they are matched first-in first-out per interface (with --ra-unicast-only
 * a multicast RA, i.e. a periodic one, never answers an RS). An exchange with
 * no answer within --timeout is lost.
 *
 * Output: one JSON object on stdout. Every number is over the measurement
 * window only (exchanges *started* after --warmup and before --duration
 * ended); the generator then waits up to --timeout for their answers.
 *
 * Plain C, Linux only, no dependency: the bench script compiles it with the
 * system cc (cc -O2 -o olkgen olkgen.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../tools/olkwire.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

enum exchange { EX_DORA, EX_RS, EX_NS, EX_IR, EX_SOLICIT };
static const char *exchange_names[] = {"dora", "rs", "ns", "ir", "solicit"};
enum mode { MODE_WINDOW, MODE_FLOOD, MODE_LISTEN };
static const char *mode_names[] = {"window", "flood", "listen"};

#define SLOT_BITS 18
#define SLOTS (1u << SLOT_BITS)
#define RX_BATCH 64
#define FRAME_MAX 2048

/* ---- options ---------------------------------------------------------- */

static struct {
  enum exchange ex;
  enum mode mode;
  unsigned window;
  double rate;     /* exchanges/s, 0 = unlimited */
  double duration; /* seconds measured */
  double warmup;   /* seconds before measuring */
  double timeout;  /* seconds */
  int pick_random;
  int ra_unicast_only;
  int busy;
  int broadcast_flag;
  unsigned seed;
  int bucket_ms;
  uint64_t count; /* stop after this many exchanges (0: run for --duration) */
} opt = {EX_DORA, MODE_WINDOW, 16, 0, 5, 0.5, 1.0, 0, 0, 0, 0, 1, 100, 0};

/* ---- interfaces --------------------------------------------------------- */

typedef struct iface {
  char name[IF_NAMESIZE];
  int ifindex;
  uint8_t mac[6];
  uint8_t ll[16];        /* fe80:: + EUI-64 of mac */
  uint8_t target[16];    /* NS target */
  int has_target;
  uint32_t fifo_head, fifo_tail; /* id-less exchanges in flight, in send order (slot+1; 0 = none) */
  uint64_t ra_mcast;     /* unsolicited RAs seen */
} iface;

static iface *ifs;
static int nifs, capifs;
static int max_ifindex;
static int *by_index; /* ifindex -> position in ifs, -1 */

/* ---- exchanges in flight ------------------------------------------------ */

typedef struct slot {
  uint64_t t0;      /* start, ns */
  uint32_t id;      /* xid / transaction id */
  uint32_t next;    /* FIFO link (slot+1; 0 = end) */
  uint16_t ifpos;
  uint8_t busy;
  uint8_t phase;    /* DORA: 0 waiting OFFER, 1 waiting ACK; solicit: 0 waiting Advertise, 1 waiting Reply */
  uint8_t counted;  /* started inside the measurement window */
} slot;

static slot *slots;
static uint32_t gen_counter;

/* ---- results ------------------------------------------------------------- */

static struct {
  uint64_t started, completed, lost, started_all, completed_all;
  uint64_t late;        /* answers that matched nothing in flight */
  uint64_t ignored;     /* frames that passed the filter but are not answers */
  uint64_t send_errors, send_eagain;
  uint64_t rx_frames;
  uint64_t offers;      /* DORA: OFFERs received (first half); solicit: Advertises */
  uint64_t naks;        /* DHCPNAKs; solicit: Advertise or Reply without an address (status code) */
  uint64_t ns_answered; /* NS for our own link-local, answered */
  int last_send_errno;
} st;

static uint64_t t_last_answer; /* when the last measured exchange completed */
static uint32_t *lat; /* ns, measured exchanges only */
static size_t nlat, caplat;

static uint32_t *ra_buckets; /* multicast RAs per bucket_ms since start */
static size_t nbuckets;

static int fd = -1;
static uint64_t t_start, t_measure, t_end;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "olkgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void usage(int code) {
  fprintf(code ? stderr : stdout,
          "usage: olkgen --exchange dora|rs|ns|ir|solicit [--mode window|flood|listen] [--window N]\n"
          "              [--rate R] [--duration S] [--warmup S] [--timeout S] [--pick rr|random]\n"
          "              [--if NAME[,NS_TARGET]]... [--if-file FILE] [--ns-target ADDR]\n"
          "              [--ra-unicast-only] [--busy] [--broadcast-flag] [--seed N] [--bucket-ms MS] [--count N]\n");
  exit(code);
}

/* ---- checksums ----------------------------------------------------------- */

/* IPv6 upper-layer checksum (UDP or ICMPv6) at l4[csum_off]; l4 len bytes. */
static void csum6(uint8_t *ip6, uint8_t *l4, size_t len, uint8_t nh, size_t csum_off) {
  uint32_t s = 0;
  put16(l4 + csum_off, 0);
  s = sum16(ip6 + 8, 32, s);
  s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
  s += nh;
  s = sum16(l4, len, s);
  uint16_t c = fold(s);
  if (c == 0 && nh == 17) c = 0xffff;
  put16(l4 + csum_off, c);
}

/* ---- frame builders -------------------------------------------------------- */

static const uint8_t PRL[] = {1, 3, 6, 12, 15, 26, 28, 42, 119, 121};

static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type) {
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  put16(f + 12, type);
  return 14;
}

/* DHCPDISCOVER (yiaddr == 0) or DHCPREQUEST (SELECTING: requested ip + server id). */
static size_t build_dhcp4(uint8_t *f, const iface *i, uint32_t xid, int request, uint32_t yiaddr, uint32_t sid) {
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  memset(f, 0, 14 + 20 + 8 + 300);
  size_t o = eth(f, bcast, i->mac, 0x0800);
  uint8_t *ip = f + o, *udp = ip + 20, *b = udp + 8;
  b[0] = 1; b[1] = 1; b[2] = 6;
  put32(b + 4, xid);
  if (opt.broadcast_flag) put16(b + 10, 0x8000);
  memcpy(b + 28, i->mac, 6);
  put32(b + 236, 0x63825363);
  uint8_t *p = b + 240;
  *p++ = 53; *p++ = 1; *p++ = request ? 3 : 1;
  *p++ = 61; *p++ = 7; *p++ = 1; memcpy(p, i->mac, 6); p += 6;
  if (request) {
    *p++ = 50; *p++ = 4; put32(p, yiaddr); p += 4;
    *p++ = 54; *p++ = 4; put32(p, sid); p += 4;
  }
  *p++ = 57; *p++ = 2; put16(p, 1500); p += 2;
  *p++ = 55; *p++ = sizeof PRL; memcpy(p, PRL, sizeof PRL); p += sizeof PRL;
  *p++ = 255;
  size_t blen = (size_t)(p - b);
  if (blen < 300) blen = 300; /* BOOTP minimum, as real clients send */
  size_t ulen = 8 + blen;
  ip[0] = 0x45; put16(ip + 2, (uint16_t)(20 + ulen)); ip[8] = 64; ip[9] = 17;
  put32(ip + 12, 0); put32(ip + 16, 0xffffffff);
  put16(ip + 10, fold(sum16(ip, 20, 0)));
  put16(udp, 68); put16(udp + 2, 67); put16(udp + 4, (uint16_t)ulen);
  uint32_t s = sum16(ip + 12, 8, 0) + 17 + (uint32_t)ulen;
  uint16_t c = fold(sum16(udp, ulen, s));
  put16(udp + 6, c ? c : 0xffff);
  return o + 20 + ulen;
}

static size_t ip6hdr(uint8_t *ip, size_t plen, uint8_t nh, uint8_t hlim, const uint8_t *src, const uint8_t *dst) {
  memset(ip, 0, 40);
  ip[0] = 0x60;
  put16(ip + 4, (uint16_t)plen);
  ip[6] = nh;
  ip[7] = hlim;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
  return 40;
}

static const uint8_t ALL_ROUTERS[16] = {0xff, 0x02, [15] = 2};
static const uint8_t ALL_DHCP[16] = {0xff, 0x02, [13] = 1, [15] = 2};

static size_t build_rs(uint8_t *f, const iface *i) {
  static const uint8_t dst[6] = {0x33, 0x33, 0, 0, 0, 2};
  size_t o = eth(f, dst, i->mac, 0x86dd);
  uint8_t *ip = f + o, *icmp = ip + 40;
  ip6hdr(ip, 16, 58, 255, i->ll, ALL_ROUTERS);
  memset(icmp, 0, 16);
  icmp[0] = 133;
  icmp[8] = 1; icmp[9] = 1; memcpy(icmp + 10, i->mac, 6);
  csum6(ip, icmp, 16, 58, 2);
  return o + 40 + 16;
}

static size_t build_ns(uint8_t *f, const iface *i) {
  uint8_t dmac[6] = {0x33, 0x33, 0xff, i->target[13], i->target[14], i->target[15]};
  uint8_t dip[16] = {0xff, 0x02, [11] = 1, [12] = 0xff};
  memcpy(dip + 13, i->target + 13, 3);
  size_t o = eth(f, dmac, i->mac, 0x86dd);
  uint8_t *ip = f + o, *icmp = ip + 40;
  ip6hdr(ip, 32, 58, 255, i->ll, dip);
  memset(icmp, 0, 32);
  icmp[0] = 135;
  memcpy(icmp + 8, i->target, 16);
  icmp[24] = 1; icmp[25] = 1; memcpy(icmp + 26, i->mac, 6);
  csum6(ip, icmp, 32, 58, 2);
  return o + 40 + 32;
}

static size_t build_ir(uint8_t *f, const iface *i, uint32_t txid) {
  static const uint8_t dst[6] = {0x33, 0x33, 0, 1, 0, 2};
  size_t o = eth(f, dst, i->mac, 0x86dd);
  uint8_t *ip = f + o, *udp = ip + 40, *d = udp + 8;
  d[0] = 11; d[1] = (txid >> 16) & 0xff; d[2] = (txid >> 8) & 0xff; d[3] = txid & 0xff;
  uint8_t *p = d + 4;
  put16(p, 1); put16(p + 2, 10); put16(p + 4, 3); put16(p + 6, 1); memcpy(p + 8, i->mac, 6); p += 14; /* client id: DUID-LL */
  put16(p, 6); put16(p + 2, 4); put16(p + 4, 23); put16(p + 6, 24); p += 8;                          /* ORO: DNS, domains */
  put16(p, 8); put16(p + 2, 2); put16(p + 4, 0); p += 6;                                             /* elapsed time */
  size_t ulen = 8 + (size_t)(p - d);
  ip6hdr(ip, ulen, 17, 1, i->ll, ALL_DHCP);
  put16(udp, 546); put16(udp + 2, 547); put16(udp + 4, (uint16_t)ulen);
  csum6(ip, udp, ulen, 17, 6);
  return o + 40 + ulen;
}

/* Solicit (type 1, Advertise wanted) or Request (type 3: Server ID and the offered address, RFC 8415
 * §18.2.2) with Client ID (DUID-LL of the MAC), IA_NA (IAID 1, T1/T2 0: the server's choice), ORO. */
static size_t build_solicit(uint8_t *f, const iface *i, uint32_t txid, const uint8_t *sid, uint16_t sidlen, const uint8_t *addr) {
  static const uint8_t dst[6] = {0x33, 0x33, 0, 1, 0, 2};
  size_t o = eth(f, dst, i->mac, 0x86dd);
  uint8_t *ip = f + o, *udp = ip + 40, *d = udp + 8;
  d[0] = sid ? 3 : 1; d[1] = (txid >> 16) & 0xff; d[2] = (txid >> 8) & 0xff; d[3] = txid & 0xff;
  uint8_t *p = d + 4;
  put16(p, 1); put16(p + 2, 10); put16(p + 4, 3); put16(p + 6, 1); memcpy(p + 8, i->mac, 6); p += 14; /* client id: DUID-LL */
  if (sid) { put16(p, 2); put16(p + 2, sidlen); memcpy(p + 4, sid, sidlen); p += 4 + sidlen; }     /* server id */
  put16(p, 3); put16(p + 2, addr ? 12 + 28 : 12); put32(p + 4, 1); put32(p + 8, 0); put32(p + 12, 0); p += 16; /* IA_NA */
  if (addr) { put16(p, 5); put16(p + 2, 24); memcpy(p + 4, addr, 16); put32(p + 20, 0); put32(p + 24, 0); p += 28; } /* IAADDR */
  put16(p, 6); put16(p + 2, 4); put16(p + 4, 23); put16(p + 6, 24); p += 8;                          /* ORO: DNS, domains */
  put16(p, 8); put16(p + 2, 2); put16(p + 4, 0); p += 6;                                             /* elapsed time */
  size_t ulen = 8 + (size_t)(p - d);
  ip6hdr(ip, ulen, 17, 1, i->ll, ALL_DHCP);
  put16(udp, 546); put16(udp + 2, 547); put16(udp + 4, (uint16_t)ulen);
  csum6(ip, udp, ulen, 17, 6);
  return o + 40 + ulen;
}

/* NA for our own link-local, to the NS's source (solicited, override, with our MAC). */
static void send_frame(const iface *i, const uint8_t *f, size_t n);
static void answer_ns(const iface *i, const uint8_t *ns) {
  static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
  const uint8_t *src = ns + 14 + 8;
  int dad = 1;
  for (int k = 0; k < 16; k++) dad &= src[k] == 0;
  uint8_t f[14 + 40 + 32];
  uint8_t dmac[6] = {0x33, 0x33, 0, 0, 0, 1};
  size_t o = eth(f, dad ? dmac : ns + 6, i->mac, 0x86dd);
  uint8_t *ip = f + o, *icmp = ip + 40;
  ip6hdr(ip, 32, 58, 255, i->ll, dad ? all_nodes : src);
  memset(icmp, 0, 32);
  icmp[0] = 136;
  icmp[4] = dad ? 0x20 : 0x60; /* S (not for DAD) and O */
  memcpy(icmp + 8, i->ll, 16);
  icmp[24] = 2; icmp[25] = 1; memcpy(icmp + 26, i->mac, 6);
  csum6(ip, icmp, 32, 58, 2);
  st.ns_answered++;
  send_frame(i, f, sizeof f);
}

/* ---- socket ---------------------------------------------------------------- */

/* Accept only what answers look like: IPv4 UDP to 68, IPv6 UDP to 546,
 * ICMPv6 134 (RA) and 136 (NA) right after the fixed IPv6 header. */
static struct sock_filter filter[] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 7),   /* ipv4 -> 2, else 9 */
    /* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 16),      /* udp -> 4, else reject */
    /* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
    /* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 14, 0), /* fragment -> reject */
    /* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
    /* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
    /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 10, 11),     /* -> accept / reject */
    /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 10),  /* A is still the ethertype */
    /* 10 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
    /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 4),      /* icmpv6 -> 12, else 16 */
    /* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
    /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 134, 5, 0),     /* RA */
    /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 4, 0),     /* NS (for our own address) */
    /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 3, 4),     /* NA */
    /* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),      /* udp -> 17, else reject */
    /* 17 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),
    /* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 546, 0, 1),
    /* 19 */ BPF_STMT(BPF_RET | BPF_K, 0x40000),
    /* 20 */ BPF_STMT(BPF_RET | BPF_K, 0),
};

static void open_socket(void) {
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket(AF_PACKET)");
  struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) die("SO_ATTACH_FILTER");
  int one = 1, size = 16 << 20;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  struct sockaddr_ll ll = {0};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ALL);
  /* One interface: bind to it (the kernel hands us only its frames); many: unbound. */
  ll.sll_ifindex = nifs == 1 ? ifs[0].ifindex : 0;
  if (bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) die("bind");
}

static void send_frame(const iface *i, const uint8_t *f, size_t n) {
  struct sockaddr_ll ll = {0};
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = i->ifindex;
  ll.sll_halen = 6;
  memcpy(ll.sll_addr, f, 6);
  memcpy(&ll.sll_protocol, f + 12, 2);
  for (;;) {
    ssize_t r = sendto(fd, f, n, 0, (struct sockaddr *)&ll, sizeof ll);
    if (r >= 0) return;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == ENOBUFS) {
      st.send_eagain++;
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, 1);
      continue;
    }
    st.send_errors++;
    st.last_send_errno = errno;
    return;
  }
}

/* ---- exchange bookkeeping --------------------------------------------------- */

static uint32_t rng_state;
static uint32_t rnd(void) { /* xorshift32 */
  uint32_t x = rng_state;
  x ^= x << 13; x ^= x >> 17; x ^= x << 5;
  return rng_state = x;
}

static int pick_if(uint64_t seq) {
  if (nifs == 1) return 0;
  return opt.pick_random ? (int)(rnd() % (uint32_t)nifs) : (int)(seq % (uint64_t)nifs);
}

static uint64_t seq_head; /* next exchange number */
static uint64_t seq_tail; /* oldest exchange maybe in flight */
static uint64_t inflight;

static void record(slot *s, uint64_t now) {
  st.completed_all++;
  if (s->counted) {
    st.completed++;
    uint64_t d = now - s->t0;
    if (nlat == caplat) {
      caplat = caplat ? caplat * 2 : 1 << 20;
      lat = realloc(lat, caplat * sizeof *lat);
      if (!lat) die("realloc");
    }
    lat[nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    t_last_answer = now;
  }
  s->busy = 0;
  inflight--;
}

static void fifo_push(iface *i, uint32_t idx) {
  slots[idx].next = 0;
  if (i->fifo_tail) slots[i->fifo_tail - 1].next = idx + 1;
  else i->fifo_head = idx + 1;
  i->fifo_tail = idx + 1;
}

static void fifo_remove(iface *i, uint32_t idx) {
  uint32_t prev = 0, cur = i->fifo_head;
  while (cur && cur != idx + 1) { prev = cur; cur = slots[cur - 1].next; }
  if (!cur) return;
  uint32_t nxt = slots[idx].next;
  if (prev) slots[prev - 1].next = nxt;
  else i->fifo_head = nxt;
  if (i->fifo_tail == idx + 1) i->fifo_tail = prev;
}

/* An answer that carries no id (RA, NA) completes the interface's oldest exchange in flight. */
static void fifo_complete(iface *i, uint64_t now) {
  if (!i->fifo_head) {
    st.late++;
    return;
  }
  uint32_t idx = i->fifo_head - 1;
  i->fifo_head = slots[idx].next;
  if (!i->fifo_head) i->fifo_tail = 0;
  record(&slots[idx], now);
}

static void expire(slot *s, uint32_t idx) {
  if (s->counted) st.lost++;
  if (opt.ex == EX_RS || opt.ex == EX_NS) fifo_remove(&ifs[s->ifpos], idx);
  s->busy = 0;
  inflight--;
}

static void start_exchange(uint64_t now) {
  uint64_t seq = seq_head++;
  uint32_t idx = (uint32_t)(seq & (SLOTS - 1));
  slot *s = &slots[idx];
  if (s->busy) expire(s, idx); /* older than SLOTS exchanges: lost */
  int ip = pick_if(seq);
  iface *i = &ifs[ip];
  s->t0 = now;
  s->ifpos = (uint16_t)ip;
  s->busy = 1;
  s->phase = 0;
  s->counted = now >= t_measure && now < t_end;
  gen_counter++;
  /* id = generation in the high bits, slot in the low 18: unique among SLOTS in flight */
  uint32_t g = (uint32_t)(seq >> SLOT_BITS);
  s->id = opt.ex == EX_IR || opt.ex == EX_SOLICIT ? (((g & 0x3f) << SLOT_BITS) | idx) & 0xffffff : (g << SLOT_BITS) | idx;
  inflight++;
  st.started_all++;
  if (s->counted) st.started++;
  uint8_t f[FRAME_MAX];
  size_t n = 0;
  switch (opt.ex) {
    case EX_DORA: n = build_dhcp4(f, i, s->id, 0, 0, 0); break;
    case EX_IR: n = build_ir(f, i, s->id); break;
    case EX_SOLICIT: n = build_solicit(f, i, s->id, NULL, 0, NULL); break;
    case EX_RS: n = build_rs(f, i); fifo_push(i, idx); break;
    case EX_NS: n = build_ns(f, i); fifo_push(i, idx); break;
  }
  send_frame(i, f, n);
}

/* DHCPv4 option lookup in a BOOTP payload; returns pointer to value or NULL. */
static const uint8_t *dhcp_opt(const uint8_t *b, size_t n, uint8_t code, uint8_t *len) {
  if (n < 240 || get32(b + 236) != 0x63825363) return NULL;
  size_t o = 240;
  while (o < n) {
    uint8_t c = b[o];
    if (c == 0) { o++; continue; }
    if (c == 255 || o + 1 >= n) break;
    uint8_t l = b[o + 1];
    if (o + 2 + l > n) break;
    if (c == code) { *len = l; return b + o + 2; }
    o += 2 + (size_t)l;
  }
  return NULL;
}

/* DHCPv6 option lookup in options[0..n) (RFC 8415 §21.1); returns pointer to value or NULL. */
static const uint8_t *d6_opt(const uint8_t *p, size_t n, uint16_t code, uint16_t *len) {
  size_t o = 0;
  while (o + 4 <= n) {
    uint16_t c = get16(p + o), l = get16(p + o + 2);
    if (o + 4 + l > n) break;
    if (c == code) { *len = l; return p + o + 4; }
    o += 4 + (size_t)l;
  }
  return NULL;
}

/* The address in an IA_NA (its IAADDR, after IAID/T1/T2), or NULL (none, or a status code instead). */
static const uint8_t *d6_ia_addr(const uint8_t *d, size_t n) {
  uint16_t l = 0, al = 0;
  const uint8_t *ia = d6_opt(d + 4, n - 4, 3, &l);
  if (!ia || l < 12) return NULL;
  const uint8_t *a = d6_opt(ia + 12, l - 12u, 5, &al);
  return a && al >= 24 ? a : NULL;
}

static void bucket_ra(uint64_t now) {
  if (now < t_start) return;
  size_t b = (size_t)((now - t_start) / ((uint64_t)opt.bucket_ms * 1000000ull));
  if (b < nbuckets) ra_buckets[b]++;
}

static void on_frame(const uint8_t *f, size_t n, int ifindex, uint64_t now) {
  st.rx_frames++;
  if (ifindex <= 0 || ifindex > max_ifindex || by_index[ifindex] < 0) { st.ignored++; return; }
  int ip = by_index[ifindex];
  iface *i = &ifs[ip];
  if (n < 14) { st.ignored++; return; }
  uint16_t et = get16(f + 12);
  if (et == 0x0800 && opt.ex == EX_DORA) {
    if (n < 14 + 20) { st.ignored++; return; }
    size_t ihl = (size_t)(f[14] & 0xf) * 4;
    const uint8_t *b = f + 14 + ihl + 8;
    if (14 + ihl + 8 + 240 > n) { st.ignored++; return; }
    size_t bl = n - (14 + ihl + 8);
    if (b[0] != 2) { st.ignored++; return; }
    uint32_t xid = get32(b + 4);
    uint32_t idx = xid & (SLOTS - 1);
    slot *s = &slots[idx];
    if (!s->busy || s->id != xid || memcmp(b + 28, i->mac, 6) != 0) { st.late++; return; }
    uint8_t l = 0;
    const uint8_t *mt = dhcp_opt(b, bl, 53, &l);
    if (!mt || l != 1) { st.ignored++; return; }
    if (*mt == 2 && s->phase == 0) { /* OFFER: REQUEST it */
      const uint8_t *sid = dhcp_opt(b, bl, 54, &l);
      if (!sid || l != 4) { st.ignored++; return; }
      st.offers++;
      s->phase = 1;
      uint8_t out[FRAME_MAX];
      size_t m = build_dhcp4(out, i, xid, 1, get32(b + 16), get32(sid));
      send_frame(i, out, m);
    } else if (*mt == 5 && s->phase == 1) {
      record(s, now);
    } else if (*mt == 6) {
      st.naks++;
      st.late++;
    } else {
      st.late++;
    }
    return;
  }
  if (et != 0x86dd || n < 14 + 40 + 4) { st.ignored++; return; }
  const uint8_t *ip6 = f + 14;
  uint8_t nh = ip6[6];
  if (nh == 58) {
    uint8_t type = ip6[40];
    int mcast_dst = ip6[24] == 0xff;
    if (type == 134) {
      if (mcast_dst) {
        i->ra_mcast++;
        bucket_ra(now);
        if (opt.ra_unicast_only || opt.ex != EX_RS) return;
      } else if (opt.ex != EX_RS) { st.ignored++; return; }
      fifo_complete(i, now);
      return;
    }
    if (type == 135) {
      /* The server resolving our link-local (to unicast a DHCPv6 reply): answer as the VM's kernel would. */
      if (n >= 14 + 40 + 24 && memcmp(ip6 + 48, i->ll, 16) == 0) answer_ns(i, f);
      else st.ignored++;
      return;
    }
    if (type == 136 && opt.ex == EX_NS) {
      if (n < 14 + 40 + 24 || memcmp(ip6 + 48, i->target, 16) != 0) { st.ignored++; return; }
      fifo_complete(i, now);
      return;
    }
    st.ignored++;
    return;
  }
  if (nh == 17 && opt.ex == EX_IR) {
    const uint8_t *d = ip6 + 48;
    if (n < 14 + 48 + 4 || d[0] != 7) { st.ignored++; return; }
    uint32_t txid = (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    uint32_t idx = txid & (SLOTS - 1);
    slot *s = &slots[idx];
    if (!s->busy || s->id != txid || s->ifpos != ip) { st.late++; return; }
    record(s, now);
    return;
  }
  if (nh == 17 && opt.ex == EX_SOLICIT) {
    const uint8_t *d = ip6 + 48;
    size_t plen = get16(ip6 + 4);
    if (n < 14 + 48 + 4 || plen < 8 + 4 || 14 + 40 + plen > n) { st.ignored++; return; }
    size_t dl = plen - 8;
    uint32_t txid = (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    uint32_t idx = txid & (SLOTS - 1);
    slot *s = &slots[idx];
    if (!s->busy || s->id != txid || s->ifpos != ip) { st.late++; return; }
    const uint8_t *addr = d6_ia_addr(d, dl);
    if (d[0] == 2 && s->phase == 0) { /* Advertise: Request it, with a new transaction id (§18.2.2), same slot */
      uint16_t sl = 0;
      const uint8_t *sid = d6_opt(d + 4, dl - 4, 2, &sl);
      if (!sid || sl == 0 || sl > 128) { st.ignored++; return; }
      if (!addr) { st.naks++; st.late++; return; }
      st.offers++;
      s->phase = 1;
      s->id = (s->id + (1u << SLOT_BITS)) & 0xffffff;
      uint8_t out[FRAME_MAX];
      size_t m = build_solicit(out, i, s->id, sid, sl, addr);
      send_frame(i, out, m);
    } else if (d[0] == 7 && s->phase == 1) {
      if (!addr) { st.naks++; st.late++; return; }
      record(s, now);
    } else {
      st.late++;
    }
    return;
  }
  st.ignored++;
}

/* ---- setup ------------------------------------------------------------------- */

static void add_if(const char *spec) {
  if (nifs == capifs) {
    capifs = capifs ? capifs * 2 : 16;
    ifs = realloc(ifs, (size_t)capifs * sizeof *ifs);
    if (!ifs) die("realloc");
  }
  iface *i = &ifs[nifs];
  memset(i, 0, sizeof *i);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", spec);
  char *comma = strchr(buf, ',');
  if (!comma) comma = strchr(buf, ' ');
  if (comma) {
    *comma = 0;
    char *t = comma + 1;
    while (*t == ' ') t++;
    t[strcspn(t, " \n")] = 0;
    if (*t) {
      if (inet_pton(AF_INET6, t, i->target) != 1) { fprintf(stderr, "olkgen: bad NS target %s\n", t); exit(2); }
      i->has_target = 1;
    }
  }
  if (strlen(buf) >= sizeof i->name) { fprintf(stderr, "olkgen: interface name too long: %s\n", buf); exit(2); }
  memcpy(i->name, buf, strlen(buf) + 1);
  i->ifindex = (int)if_nametoindex(i->name);
  if (!i->ifindex) { fprintf(stderr, "olkgen: no interface %s\n", i->name); exit(2); }
  nifs++;
}

static void resolve_ifs(const uint8_t *default_target, int has_default) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket(AF_INET)");
  for (int k = 0; k < nifs; k++) {
    iface *i = &ifs[k];
    struct ifreq r = {0};
    snprintf(r.ifr_name, sizeof r.ifr_name, "%s", i->name);
    if (ioctl(s, SIOCGIFHWADDR, &r) < 0) die("SIOCGIFHWADDR");
    memcpy(i->mac, r.ifr_hwaddr.sa_data, 6);
    uint8_t *ll = i->ll;
    memset(ll, 0, 16);
    ll[0] = 0xfe; ll[1] = 0x80;
    ll[8] = i->mac[0] ^ 2; ll[9] = i->mac[1]; ll[10] = i->mac[2]; ll[11] = 0xff;
    ll[12] = 0xfe; ll[13] = i->mac[3]; ll[14] = i->mac[4]; ll[15] = i->mac[5];
    if (!i->has_target && has_default) { memcpy(i->target, default_target, 16); i->has_target = 1; }
    if (opt.ex == EX_NS && opt.mode != MODE_LISTEN && !i->has_target) {
      fprintf(stderr, "olkgen: interface %s has no NS target (--ns-target)\n", i->name);
      exit(2);
    }
    if (i->ifindex > max_ifindex) max_ifindex = i->ifindex;
  }
  close(s);
  by_index = malloc(((size_t)max_ifindex + 1) * sizeof *by_index);
  if (!by_index) die("malloc");
  for (int k = 0; k <= max_ifindex; k++) by_index[k] = -1;
  for (int k = 0; k < nifs; k++) by_index[ifs[k].ifindex] = k;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double pct(double p) {
  if (!nlat) return 0;
  size_t k = (size_t)(p / 100.0 * (double)(nlat - 1) + 0.5);
  if (k >= nlat) k = nlat - 1;
  return lat[k] / 1000.0;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

int main(int argc, char **argv) {
  static struct option lo[] = {
      {"exchange", 1, 0, 'x'}, {"mode", 1, 0, 'm'}, {"window", 1, 0, 'w'}, {"rate", 1, 0, 'r'},
      {"duration", 1, 0, 'd'}, {"warmup", 1, 0, 'W'}, {"timeout", 1, 0, 't'}, {"pick", 1, 0, 'p'},
      {"if", 1, 0, 'i'}, {"if-file", 1, 0, 'f'}, {"ns-target", 1, 0, 'n'}, {"ra-unicast-only", 0, 0, 'u'},
      {"busy", 0, 0, 'b'}, {"broadcast-flag", 0, 0, 'B'}, {"seed", 1, 0, 's'}, {"bucket-ms", 1, 0, 'k'},
      {"count", 1, 0, 'c'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  uint8_t default_target[16];
  int has_default = 0;
  int c;
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (c) {
      case 'x':
        if (!strcmp(optarg, "dora")) opt.ex = EX_DORA;
        else if (!strcmp(optarg, "rs")) opt.ex = EX_RS;
        else if (!strcmp(optarg, "ns")) opt.ex = EX_NS;
        else if (!strcmp(optarg, "ir")) opt.ex = EX_IR;
        else if (!strcmp(optarg, "solicit")) opt.ex = EX_SOLICIT;
        else usage(2);
        break;
      case 'm':
        if (!strcmp(optarg, "window")) opt.mode = MODE_WINDOW;
        else if (!strcmp(optarg, "pingpong")) { opt.mode = MODE_WINDOW; opt.window = 1; }
        else if (!strcmp(optarg, "flood")) opt.mode = MODE_FLOOD;
        else if (!strcmp(optarg, "listen")) opt.mode = MODE_LISTEN;
        else usage(2);
        break;
      case 'w': opt.window = (unsigned)strtoul(optarg, NULL, 10); break;
      case 'r': opt.rate = strtod(optarg, NULL); break;
      case 'd': opt.duration = strtod(optarg, NULL); break;
      case 'W': opt.warmup = strtod(optarg, NULL); break;
      case 't': opt.timeout = strtod(optarg, NULL); break;
      case 'p': opt.pick_random = !strcmp(optarg, "random"); break;
      case 'i': add_if(optarg); break;
      case 'f': {
        FILE *fp = fopen(optarg, "r");
        if (!fp) die(optarg);
        char line[256];
        while (fgets(line, sizeof line, fp)) {
          line[strcspn(line, "\n")] = 0;
          if (line[0] && line[0] != '#') add_if(line);
        }
        fclose(fp);
        break;
      }
      case 'n':
        if (inet_pton(AF_INET6, optarg, default_target) != 1) usage(2);
        has_default = 1;
        break;
      case 'u': opt.ra_unicast_only = 1; break;
      case 'b': opt.busy = 1; break;
      case 'B': opt.broadcast_flag = 1; break;
      case 's': opt.seed = (unsigned)strtoul(optarg, NULL, 10); break;
      case 'k': opt.bucket_ms = atoi(optarg); break;
      case 'c': opt.count = strtoull(optarg, NULL, 10); break;
      case 'h': usage(0); break;
      default: usage(2);
    }
  }
  if (nifs == 0) add_if("eth0");
  if (opt.window < 1) opt.window = 1;
  if (opt.window > SLOTS / 2) opt.window = SLOTS / 2;
  if (opt.bucket_ms < 1) opt.bucket_ms = 100;
  if (nifs > 65535) { fprintf(stderr, "olkgen: at most 65535 interfaces\n"); exit(2); }
  rng_state = opt.seed ? opt.seed : 1;
  resolve_ifs(default_target, has_default);
  slots = calloc(SLOTS, sizeof *slots);
  if (!slots) die("calloc");
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  open_socket();

  t_start = now_ns();
  t_measure = t_start + (uint64_t)(opt.warmup * 1e9);
  t_end = t_measure + (uint64_t)(opt.duration * 1e9);
  uint64_t timeout_ns = (uint64_t)(opt.timeout * 1e9);
  nbuckets = (size_t)((opt.warmup + opt.duration + opt.timeout) * 1000 / opt.bucket_ms) + 2;
  ra_buckets = calloc(nbuckets, sizeof *ra_buckets);
  if (!ra_buckets) die("calloc");

  struct mmsghdr msgs[RX_BATCH];
  struct iovec iov[RX_BATCH];
  struct sockaddr_ll from[RX_BATCH];
  static uint8_t rxbuf[RX_BATCH][FRAME_MAX];
  for (int k = 0; k < RX_BATCH; k++) {
    iov[k].iov_base = rxbuf[k];
    iov[k].iov_len = FRAME_MAX;
    memset(&msgs[k], 0, sizeof msgs[k]);
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
    msgs[k].msg_hdr.msg_name = &from[k];
  }

  uint64_t limit = opt.mode == MODE_FLOOD ? SLOTS : opt.window;
  uint64_t drain_until = 0;
  int sending = opt.mode != MODE_LISTEN;
  uint64_t now = t_start;
  while (!interrupted) {
    now = now_ns();
    if (sending && (now >= t_end || (opt.count && seq_head >= opt.count))) {
      sending = 0;
      drain_until = now + timeout_ns;
    }
    if (!sending && opt.mode == MODE_LISTEN && now >= t_end) break;
    if (!sending && opt.mode != MODE_LISTEN && (inflight == 0 || now >= drain_until)) break;

    int sent = 0;
    if (sending) {
      uint64_t allowed = UINT64_MAX;
      if (opt.rate > 0) {
        double due = (double)(now - t_start) / 1e9 * opt.rate + 1;
        allowed = due > (double)seq_head ? (uint64_t)due - seq_head : 0;
      }
      while (inflight < limit && sent < 64 && allowed > 0 && (!opt.count || seq_head < opt.count)) {
        start_exchange(now);
        sent++;
        allowed--;
      }
    }

    for (int k = 0; k < RX_BATCH; k++) msgs[k].msg_hdr.msg_namelen = sizeof from[k];
    int r = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
    if (r > 0) {
      uint64_t t = now_ns();
      for (int k = 0; k < r; k++) on_frame(rxbuf[k], msgs[k].msg_len, from[k].sll_ifindex, t);
    } else if (r < 0 && errno != EAGAIN && errno != EINTR) {
      die("recvmmsg");
    }

    /* Exchanges past their timeout are lost; the oldest are at the tail. */
    while (seq_tail < seq_head) {
      uint32_t idx = (uint32_t)(seq_tail & (SLOTS - 1));
      slot *s = &slots[idx];
      if (s->busy && seq_head - seq_tail <= SLOTS) {
        if (now - s->t0 < timeout_ns) break;
        expire(s, idx);
      }
      seq_tail++;
    }

    if (r <= 0 && sent == 0 && !opt.busy) {
      /* Nothing to do: sleep until a frame arrives, the next paced start or 1 ms. */
      int ms = 1;
      struct pollfd p = {fd, POLLIN, 0};
      poll(&p, 1, ms);
    }
  }

  /* Kernel drops on our own socket (it must never be the bottleneck). */
  struct tpacket_stats ks = {0};
  socklen_t kl = sizeof ks;
  getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl);

  qsort(lat, nlat, sizeof *lat, cmp_u32);
  double sum = 0;
  for (size_t k = 0; k < nlat; k++) sum += lat[k];
  double elapsed = (double)(now - t_start) / 1e9;
  double measured = opt.mode == MODE_LISTEN ? elapsed : opt.duration;
  if (interrupted && now < t_end) measured = now > t_measure ? (double)(now - t_measure) / 1e9 : 0;
  /* --count: the run lasted until its last answer. */
  if (opt.count && t_last_answer > t_measure) measured = (double)(t_last_answer - t_measure) / 1e9;

  uint64_t ra_total = 0, ra_max = 0, ifs_with_ra = 0;
  size_t used_buckets = (size_t)(elapsed * 1000 / opt.bucket_ms);
  if (used_buckets > nbuckets) used_buckets = nbuckets;
  for (size_t k = 0; k < used_buckets; k++) {
    ra_total += ra_buckets[k];
    if (ra_buckets[k] > ra_max) ra_max = ra_buckets[k];
  }
  for (int k = 0; k < nifs; k++) ifs_with_ra += ifs[k].ra_mcast > 0;

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  double user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  printf("{\"generator_cpu_s\":%.3f,\"generator_user_s\":%.3f,\"exchange\":\"%s\",\"mode\":\"%s\",\"window\":%u,\"rate\":%g,\"interfaces\":%d,"
         "\"duration_s\":%.3f,\"warmup_s\":%.3f,\"timeout_s\":%.3f,\"elapsed_s\":%.3f,"
         "\"started\":%llu,\"completed\":%llu,\"lost\":%llu,\"started_all\":%llu,\"completed_all\":%llu,"
         "\"late\":%llu,\"ignored\":%llu,\"offers\":%llu,\"naks\":%llu,\"ns_answered\":%llu,\"rx_frames\":%llu,"
         "\"send_errors\":%llu,\"send_eagain\":%llu,\"last_send_error\":\"%s\","
         "\"rx_kernel_packets\":%u,\"rx_kernel_drops\":%u,"
         "\"exchanges_per_s\":%.1f,\"loss\":%.6f,"
         "\"latency_us\":{\"min\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"mean\":%.1f},"
         "\"ra_multicast\":{\"bucket_ms\":%d,\"total\":%llu,\"max_per_bucket\":%llu,\"interfaces_with_ra\":%llu,"
         "\"series\":[",
         cpu_s, user_s, exchange_names[opt.ex], mode_names[opt.mode], opt.mode == MODE_FLOOD ? 0 : opt.window, opt.rate, nifs,
         measured, opt.warmup, opt.timeout, elapsed,
         (unsigned long long)st.started, (unsigned long long)st.completed, (unsigned long long)st.lost,
         (unsigned long long)st.started_all, (unsigned long long)st.completed_all,
         (unsigned long long)st.late, (unsigned long long)st.ignored, (unsigned long long)st.offers,
         (unsigned long long)st.naks, (unsigned long long)st.ns_answered, (unsigned long long)st.rx_frames,
         (unsigned long long)st.send_errors, (unsigned long long)st.send_eagain,
         st.last_send_errno ? strerrorname_np(st.last_send_errno) : "",
         ks.tp_packets, ks.tp_drops,
         measured > 0 ? (double)st.completed / measured : 0,
         st.started ? (double)(st.started - st.completed) / (double)st.started : 0,
         nlat ? lat[0] / 1000.0 : 0, pct(50), pct(90), pct(99), nlat ? lat[nlat - 1] / 1000.0 : 0,
         nlat ? sum / (double)nlat / 1000.0 : 0,
         opt.bucket_ms, (unsigned long long)ra_total, (unsigned long long)ra_max, (unsigned long long)ifs_with_ra);
  for (size_t k = 0; k < used_buckets; k++) printf("%s%u", k ? "," : "", ra_buckets[k]);
  printf("]}}\n");
  return 0;
}
