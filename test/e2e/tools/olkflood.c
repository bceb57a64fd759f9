/*
 * olkflood: a hostile guest for the hardening tests (issue 6). From a VM
 * namespace it sends, as fast as one core can (or at --rate frames/s), a
 * round-robin mix of everything onlinkd's BPF filter lets through:
 *
 *   dhcp   DHCPDISCOVER (valid, a new xid per frame, UDP checksum 0)
 *   rs     Router Solicitation (valid)
 *   ns     Neighbor Solicitation for --ns-target (valid)
 *   ir     DHCPv6 Information-Request (valid)
 *   arp    ARP who-has --arp-target (valid)
 *   junk   frames that pass the filter but do not decode: truncated BOOTP,
 *          bad BOOTP magic, ICMPv6 NS with a bad checksum, DHCPv6 with an
 *          unknown message type, ARP with a bogus hardware type, an RS
 *          behind a hop-by-hop header with a bad checksum, a DISCOVER from
 *          a spoofed source MAC
 *
 * It reads nothing. Output: one JSON line {sent, send_errors, enobufs,
 * elapsed_s, pps, by_kind{...}} on stdout.
 *
 * Plain C, Linux only: the tests compile it with the system cc
 * (cc -O2 -o olkflood olkflood.c). Everything it sends stays on the veth of
 * the lab namespace it runs in.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../tools/olkwire.h"

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

#define MAX_FRAMES 32
#define FRAME_MAX 600
#define BATCH 64

enum kind { K_DHCP, K_RS, K_NS, K_IR, K_ARP, K_JUNK, K_COUNT };
static const char *kind_names[K_COUNT] = {"dhcp", "rs", "ns", "ir", "arp", "junk"};

typedef struct {
  uint8_t data[FRAME_MAX];
  size_t len;
  enum kind kind;
  int xid_off; /* DHCPv4: offset of the xid to bump per frame, -1: none */
} frame;

static frame frames[MAX_FRAMES];
static int nframes;
static uint8_t mac[6], ll[16], target6[16];
static uint32_t target4 = 0xcb007101; /* 203.0.113.1 */
static volatile sig_atomic_t stop;

static void on_signal(int s) { (void)s; stop = 1; }

static void die(const char *what) {
  fprintf(stderr, "olkflood: %s: %s\n", what, strerror(errno));
  exit(2);
}


static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type) {
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  put16(f + 12, type);
  return 14;
}

static frame *add(enum kind k) {
  if (nframes == MAX_FRAMES) { fprintf(stderr, "olkflood: too many templates\n"); exit(2); }
  frame *f = &frames[nframes++];
  memset(f, 0, sizeof *f);
  f->kind = k;
  f->xid_off = -1;
  return f;
}

static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* DHCPDISCOVER from `src` (UDP checksum 0: legal for IPv4, lets the xid change per frame). */
static void dhcp(const uint8_t *src, int bootp_len, uint32_t magic) {
  frame *fr = add(src == mac && bootp_len >= 300 && magic == 0x63825363 ? K_DHCP : K_JUNK);
  uint8_t *f = fr->data;
  size_t o = eth(f, BCAST, src, 0x0800);
  uint8_t *ip = f + o, *udp = ip + 20, *b = udp + 8;
  size_t blen = (size_t)bootp_len;
  b[0] = 1; b[1] = 1; b[2] = 6;
  put32(b + 4, 0x01000000);
  fr->xid_off = (int)(b + 4 - f);
  if (blen >= 240) {
    memcpy(b + 28, src, 6);
    put32(b + 236, magic);
    uint8_t *p = b + 240;
    *p++ = 53; *p++ = 1; *p++ = 1;
    *p++ = 55; *p++ = 4; *p++ = 1; *p++ = 3; *p++ = 6; *p++ = 121;
    *p++ = 255;
  }
  size_t ulen = 8 + blen;
  ip[0] = 0x45; put16(ip + 2, (uint16_t)(20 + ulen)); ip[8] = 64; ip[9] = 17;
  put32(ip + 12, 0); put32(ip + 16, 0xffffffff);
  put16(ip + 10, fold(sum16(ip, 20, 0)));
  put16(udp, 68); put16(udp + 2, 67); put16(udp + 4, (uint16_t)ulen); put16(udp + 6, 0);
  fr->len = o + 20 + ulen;
}

static size_t ip6(uint8_t *ip, size_t plen, uint8_t nh, uint8_t hlim, const uint8_t *src, const uint8_t *dst) {
  memset(ip, 0, 40);
  ip[0] = 0x60; put16(ip + 4, (uint16_t)plen); ip[6] = nh; ip[7] = hlim;
  memcpy(ip + 8, src, 16); memcpy(ip + 24, dst, 16);
  return 40;
}

/* Upper-layer checksum over the pseudo header (ip6 src/dst) and l4[0..len). */
static void csum6(const uint8_t *ip, uint8_t *l4, size_t len, uint8_t nh, size_t off, int corrupt) {
  put16(l4 + off, 0);
  uint32_t s = sum16(ip + 8, 32, 0) + (uint32_t)len + nh;
  uint16_t c = fold(sum16(l4, len, s));
  if (nh == 17 && c == 0) c = 0xffff;
  put16(l4 + off, corrupt ? (uint16_t)(c ^ 0x5a5a) : c);
}

static const uint8_t ALL_ROUTERS[16] = {0xff, 0x02, [15] = 2};
static const uint8_t ALL_DHCP[16] = {0xff, 0x02, [13] = 1, [15] = 2};

static void rs(int hbh, int corrupt) {
  frame *fr = add(hbh || corrupt ? K_JUNK : K_RS);
  uint8_t *f = fr->data;
  static const uint8_t dst[6] = {0x33, 0x33, 0, 0, 0, 2};
  size_t o = eth(f, dst, mac, 0x86dd);
  uint8_t *ip = f + o;
  size_t ext = hbh ? 8 : 0;
  ip6(ip, ext + 16, hbh ? 0 : 58, 255, ll, ALL_ROUTERS);
  uint8_t *h = ip + 40;
  if (hbh) { memset(h, 0, 8); h[0] = 58; h[2] = 1; h[3] = 4; } /* PadN */
  uint8_t *icmp = h + ext;
  memset(icmp, 0, 16);
  icmp[0] = 133; icmp[8] = 1; icmp[9] = 1; memcpy(icmp + 10, mac, 6);
  csum6(ip, icmp, 16, 58, 2, corrupt);
  fr->len = o + 40 + ext + 16;
}

static void ns(int corrupt) {
  frame *fr = add(corrupt ? K_JUNK : K_NS);
  uint8_t *f = fr->data;
  uint8_t dmac[6] = {0x33, 0x33, 0xff, target6[13], target6[14], target6[15]};
  uint8_t dip[16] = {0xff, 0x02, [11] = 1, [12] = 0xff};
  memcpy(dip + 13, target6 + 13, 3);
  size_t o = eth(f, dmac, mac, 0x86dd);
  uint8_t *ip = f + o, *icmp = ip + 40;
  ip6(ip, 32, 58, 255, ll, dip);
  memset(icmp, 0, 32);
  icmp[0] = 135; memcpy(icmp + 8, target6, 16);
  icmp[24] = 1; icmp[25] = 1; memcpy(icmp + 26, mac, 6);
  csum6(ip, icmp, 32, 58, 2, corrupt);
  fr->len = o + 40 + 32;
}

static void ir(uint8_t msgtype) {
  frame *fr = add(msgtype == 11 ? K_IR : K_JUNK);
  uint8_t *f = fr->data;
  static const uint8_t dst[6] = {0x33, 0x33, 0, 1, 0, 2};
  size_t o = eth(f, dst, mac, 0x86dd);
  uint8_t *ip = f + o, *udp = ip + 40, *d = udp + 8;
  d[0] = msgtype; d[1] = 0x12; d[2] = 0x34; d[3] = 0x56;
  uint8_t *p = d + 4;
  put16(p, 1); put16(p + 2, 10); put16(p + 4, 3); put16(p + 6, 1); memcpy(p + 8, mac, 6); p += 14;
  put16(p, 6); put16(p + 2, 4); put16(p + 4, 23); put16(p + 6, 24); p += 8;
  put16(p, 8); put16(p + 2, 2); put16(p + 4, 0); p += 6;
  size_t ulen = 8 + (size_t)(p - d);
  ip6(ip, ulen, 17, 1, ll, ALL_DHCP);
  put16(udp, 546); put16(udp + 2, 547); put16(udp + 4, (uint16_t)ulen);
  csum6(ip, udp, ulen, 17, 6, 0);
  fr->len = o + 40 + ulen;
}

static void arp(uint16_t htype) {
  frame *fr = add(htype == 1 ? K_ARP : K_JUNK);
  uint8_t *f = fr->data;
  size_t o = eth(f, BCAST, mac, 0x0806);
  uint8_t *a = f + o;
  put16(a, htype); put16(a + 2, 0x0800); a[4] = htype == 1 ? 6 : 200; a[5] = 4; put16(a + 6, 1);
  memcpy(a + 8, mac, 6); put32(a + 14, 0);
  memset(a + 18, 0, 6); put32(a + 24, target4);
  fr->len = o + 28 + 18; /* padded to the Ethernet minimum */
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  const char *ifname = "eth0";
  double duration = 5, rate = 0;
  int have_target = 0;
  static struct option lo[] = {{"if", 1, 0, 'i'}, {"duration", 1, 0, 'd'}, {"rate", 1, 0, 'r'},
                               {"ns-target", 1, 0, 'n'}, {"arp-target", 1, 0, 'a'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (c) {
      case 'i': ifname = optarg; break;
      case 'd': duration = strtod(optarg, NULL); break;
      case 'r': rate = strtod(optarg, NULL); break;
      case 'n':
        if (inet_pton(AF_INET6, optarg, target6) != 1) { fprintf(stderr, "olkflood: bad --ns-target\n"); return 2; }
        have_target = 1;
        break;
      case 'a': {
        struct in_addr a;
        if (inet_pton(AF_INET, optarg, &a) != 1) { fprintf(stderr, "olkflood: bad --arp-target\n"); return 2; }
        target4 = ntohl(a.s_addr);
        break;
      }
      default:
        fprintf(stderr, "usage: olkflood [--if IF] [--duration S] [--rate FPS] [--ns-target ADDR6] [--arp-target ADDR4]\n");
        return 2;
    }
  }
  if (!have_target) inet_pton(AF_INET6, "2001:db8::1", target6);

  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int ifindex = (int)if_nametoindex(ifname);
  if (!ifindex) die(ifname);
  struct ifreq r = {0};
  snprintf(r.ifr_name, sizeof r.ifr_name, "%s", ifname);
  if (ioctl(fd, SIOCGIFHWADDR, &r) < 0) die("SIOCGIFHWADDR");
  memcpy(mac, r.ifr_hwaddr.sa_data, 6);
  ll[0] = 0xfe; ll[1] = 0x80;
  ll[8] = mac[0] ^ 2; ll[9] = mac[1]; ll[10] = mac[2]; ll[11] = 0xff; ll[12] = 0xfe;
  ll[13] = mac[3]; ll[14] = mac[4]; ll[15] = mac[5];
  int one = 1, sz = 4 << 20;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0; /* send only: receive nothing */
  sll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind");

  /* The mix: valid requests of each kind, then junk, interleaved. */
  static const uint8_t spoof[6] = {0x02, 0x66, 0x66, 0x66, 0x66, 0x66};
  dhcp(mac, 300, 0x63825363);
  rs(0, 0);
  dhcp(mac, 3, 0x63825363);          /* truncated BOOTP */
  ns(0);
  dhcp(mac, 300, 0xdeadbeef);        /* bad magic cookie */
  ir(11);
  ns(1);                             /* bad ICMPv6 checksum */
  arp(1);
  ir(255);                           /* unknown DHCPv6 message type */
  arp(0x1234);                       /* bogus hardware type/length */
  rs(1, 1);                          /* hop-by-hop + bad checksum */
  dhcp(spoof, 300, 0x63825363);      /* spoofed source MAC */

  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int k = 0; k < BATCH; k++) {
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  uint64_t sent = 0, errors = 0, enobufs = 0, by_kind[K_COUNT] = {0};
  uint32_t xid = 1;
  unsigned next = 0;
  int last_errno = 0;
  double t0 = now_s(), t = t0;
  while (!stop) {
    t = now_s();
    if (t - t0 >= duration) break;
    int n = BATCH;
    if (rate > 0) {
      double due = (t - t0) * rate - (double)sent;
      if (due < 1) { usleep(200); continue; }
      if (due < n) n = (int)due;
    }
    for (int k = 0; k < n; k++) {
      frame *fr = &frames[(next + (unsigned)k) % (unsigned)nframes];
      if (fr->xid_off >= 0) put32(fr->data + fr->xid_off, xid++);
      /* The xid is written in place: each message of the batch needs its own copy. */
      static uint8_t copies[BATCH][FRAME_MAX];
      memcpy(copies[k], fr->data, fr->len);
      iov[k].iov_base = copies[k];
      iov[k].iov_len = fr->len;
    }
    int m = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (m < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) {
        enobufs++;
        struct pollfd p = {fd, POLLOUT, 0};
        poll(&p, 1, 1);
        continue;
      }
      if (errno == EINTR) continue;
      errors++;
      last_errno = errno;
      if (errno == ENXIO || errno == ENETDOWN || errno == ENODEV) { usleep(1000); continue; }
      continue;
    }
    for (int k = 0; k < m; k++) by_kind[frames[(next + (unsigned)k) % (unsigned)nframes].kind]++;
    sent += (uint64_t)m;
    next = (next + (unsigned)m) % (unsigned)nframes;
  }
  double elapsed = t - t0;
  printf("{\"sent\":%llu,\"send_errors\":%llu,\"enobufs\":%llu,\"last_error\":\"%s\",\"elapsed_s\":%.3f,\"pps\":%.0f,\"by_kind\":{",
         (unsigned long long)sent, (unsigned long long)errors, (unsigned long long)enobufs,
         last_errno ? strerror(last_errno) : "", elapsed, elapsed > 0 ? (double)sent / elapsed : 0);
  for (int k = 0; k < K_COUNT; k++) printf("%s\"%s\":%llu", k ? "," : "", kind_names[k], (unsigned long long)by_kind[k]);
  printf("}}\n");
  return 0;
}
