/*
 * olkprobe: precise one-shot probes for the hardening tests (issue 6). From
 * a VM namespace it sends one DHCPDISCOVER (--kind dhcp) or one Router
 * Solicitation (--kind rs) from each --mac given, in order, on one raw
 * socket, and reports which were answered and with what:
 *
 *   dhcp  the OFFER's yiaddr, host name (option 12, printable ASCII) and
 *         the server's source MAC (matched by xid)
 *   rs    the RA's first prefix (PIO) and source MAC (matched by the RS's
 *         source MAC, i.e. the RA's unicast destination MAC)
 *
 * onlinkd handles one tap's frames in order, so when the answer to the last
 * MAC has arrived (plus --settle-ms), an earlier MAC that got nothing was
 * not answered: a stale-binding check does not need a long timeout.
 *
 * Output: one JSON line {"kind":..,"answers":[{"mac":..,"answered":..,
 * "latency_us":..,"yiaddr"|"prefix":..,"server_mac":..},...]}.
 *
 * Plain C, Linux only: compiled at test time with the system cc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../tools/olkwire.h"

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

#define MAX_MACS 8

static struct {
  uint8_t mac[6];
  int answered;
  double latency_us;
  char what[64];
  char hostname[256]; /* DHCP option 12, printable ASCII only (others as '?') */
  uint8_t server[6];
  double sent_at;
} probes[MAX_MACS];
static int nprobes;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static size_t build_discover(uint8_t *f, const uint8_t *mac, uint32_t xid) {
  memset(f, 0, 14 + 20 + 8 + 300);
  memset(f, 0xff, 6);
  memcpy(f + 6, mac, 6);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;
  b[0] = 1; b[1] = 1; b[2] = 6;
  put32(b + 4, xid);
  memcpy(b + 28, mac, 6);
  put32(b + 236, 0x63825363);
  uint8_t *p = b + 240;
  *p++ = 53; *p++ = 1; *p++ = 1;
  *p++ = 55; *p++ = 4; *p++ = 1; *p++ = 3; *p++ = 6; *p++ = 121;
  *p++ = 255;
  size_t ulen = 8 + 300;
  ip[0] = 0x45; put16(ip + 2, (uint16_t)(20 + ulen)); ip[8] = 64; ip[9] = 17;
  put32(ip + 16, 0xffffffff);
  put16(ip + 10, fold(sum16(ip, 20, 0)));
  put16(udp, 68); put16(udp + 2, 67); put16(udp + 4, (uint16_t)ulen);
  return 14 + 20 + ulen;
}

static size_t build_rs(uint8_t *f, const uint8_t *mac) {
  static const uint8_t dst[6] = {0x33, 0x33, 0, 0, 0, 2};
  static const uint8_t all_routers[16] = {0xff, 0x02, [15] = 2};
  memcpy(f, dst, 6);
  memcpy(f + 6, mac, 6);
  put16(f + 12, 0x86dd);
  uint8_t *ip = f + 14, *icmp = ip + 40;
  memset(ip, 0, 40);
  ip[0] = 0x60; put16(ip + 4, 16); ip[6] = 58; ip[7] = 255;
  uint8_t *src = ip + 8;
  src[0] = 0xfe; src[1] = 0x80;
  src[8] = mac[0] ^ 2; src[9] = mac[1]; src[10] = mac[2]; src[11] = 0xff; src[12] = 0xfe;
  src[13] = mac[3]; src[14] = mac[4]; src[15] = mac[5];
  memcpy(ip + 24, all_routers, 16);
  memset(icmp, 0, 16);
  icmp[0] = 133;
  icmp[8] = 1; icmp[9] = 1; memcpy(icmp + 10, mac, 6);
  uint32_t s = sum16(ip + 8, 32, 0) + 16 + 58;
  put16(icmp + 2, fold(sum16(icmp, 16, s)));
  return 14 + 40 + 16;
}

static void on_frame(const uint8_t *f, size_t n, int dhcp) {
  if (n < 14) return;
  uint16_t et = get16(f + 12);
  if (dhcp && et == 0x0800 && n >= 14 + 20 + 8 + 240) {
    size_t ihl = (size_t)(f[14] & 0xf) * 4;
    if (f[14 + 9] != 17 || 14 + ihl + 8 + 240 > n) return;
    const uint8_t *udp = f + 14 + ihl, *b = udp + 8;
    if (get16(udp + 2) != 68 || b[0] != 2) return;
    uint32_t xid = get32(b + 4);
    int k = (int)(xid - 0x4f4c0000u);
    if (k < 0 || k >= nprobes || probes[k].answered) return;
    probes[k].answered = 1;
    probes[k].latency_us = now_us() - probes[k].sent_at;
    struct in_addr a = {.s_addr = htonl(get32(b + 16))};
    inet_ntop(AF_INET, &a, probes[k].what, sizeof probes[k].what);
    memcpy(probes[k].server, f + 6, 6);
    size_t bl = n - (14 + ihl + 8);
    for (size_t o = 240; o + 2 <= bl;) {
      uint8_t code = b[o];
      if (code == 0) { o++; continue; }
      if (code == 255) break;
      size_t len = b[o + 1];
      if (o + 2 + len > bl) break;
      if (code == 12) {
        for (size_t j = 0; j < len && j < sizeof probes[k].hostname - 1; j++) {
          uint8_t ch = b[o + 2 + j];
          probes[k].hostname[j] = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? (char)ch : '?';
        }
      }
      o += 2 + len;
    }
    return;
  }
  if (!dhcp && et == 0x86dd && n >= 14 + 40 + 16) {
    const uint8_t *ip = f + 14, *icmp = ip + 40;
    if (ip[6] != 58 || icmp[0] != 134) return;
    for (int k = 0; k < nprobes; k++) {
      if (probes[k].answered || memcmp(f, probes[k].mac, 6) != 0) continue;
      probes[k].answered = 1;
      probes[k].latency_us = now_us() - probes[k].sent_at;
      memcpy(probes[k].server, f + 6, 6);
      strcpy(probes[k].what, "");
      size_t plen = get16(ip + 4);
      if (40 + plen > n - 14) plen = n - 14 - 40;
      for (size_t o = 16; o + 8 <= plen;) {
        size_t len = (size_t)icmp[o + 1] * 8;
        if (len == 0 || o + len > plen) break;
        if (icmp[o] == 3 && len == 32) {
          char txt[INET6_ADDRSTRLEN];
          inet_ntop(AF_INET6, icmp + o + 16, txt, sizeof txt);
          snprintf(probes[k].what, sizeof probes[k].what, "%s/%u", txt, icmp[o + 2]);
          break;
        }
        o += len;
      }
      return;
    }
  }
}

int main(int argc, char **argv) {
  const char *ifname = "eth0";
  int dhcp = 1;
  int timeout_ms = 1000, settle_ms = 50;
  static struct option lo[] = {{"if", 1, 0, 'i'}, {"kind", 1, 0, 'k'}, {"mac", 1, 0, 'm'},
                               {"timeout-ms", 1, 0, 't'}, {"settle-ms", 1, 0, 's'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (c) {
      case 'i': ifname = optarg; break;
      case 'k': dhcp = strcmp(optarg, "rs") != 0; break;
      case 'm': {
        if (nprobes == MAX_MACS) { fprintf(stderr, "olkprobe: at most %d MACs\n", MAX_MACS); return 2; }
        unsigned b[6];
        if (sscanf(optarg, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) {
          fprintf(stderr, "olkprobe: bad MAC %s\n", optarg);
          return 2;
        }
        for (int k = 0; k < 6; k++) probes[nprobes].mac[k] = (uint8_t)b[k];
        nprobes++;
        break;
      }
      case 't': timeout_ms = atoi(optarg); break;
      case 's': settle_ms = atoi(optarg); break;
      default:
        fprintf(stderr, "usage: olkprobe [--if IF] --kind dhcp|rs --mac MAC... [--timeout-ms N] [--settle-ms N]\n");
        return 2;
    }
  }
  if (nprobes == 0) { fprintf(stderr, "olkprobe: no --mac\n"); return 2; }
  int ifindex = (int)if_nametoindex(ifname);
  if (!ifindex) { fprintf(stderr, "olkprobe: no interface %s\n", ifname); return 2; }
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) { perror("olkprobe: socket"); return 2; }
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  /* Straight to the driver: right after a link comes up (a new VM, a flap) the
   * kernel keeps the qdisc inactive until linkwatch runs -- up to a second
   * later when links change often -- and drops what is sent meanwhile. A
   * probe measures onlinkd, not that. */
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("olkprobe: bind"); return 2; }

  uint8_t f[2048];
  for (int k = 0; k < nprobes; k++) {
    size_t n = dhcp ? build_discover(f, probes[k].mac, 0x4f4c0000u + (uint32_t)k) : build_rs(f, probes[k].mac);
    probes[k].sent_at = now_us();
    if (send(fd, f, n, 0) < 0) { perror("olkprobe: send"); return 2; }
  }
  double start = now_us(), last_done = 0;
  for (;;) {
    double t = now_us();
    if (t - start > timeout_ms * 1000.0) break;
    if (probes[nprobes - 1].answered) {
      if (last_done == 0) last_done = t;
      if (t - last_done > settle_ms * 1000.0) break;
    }
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, 5);
    for (;;) {
      ssize_t n = recv(fd, f, sizeof f, 0);
      if (n < 0) break;
      on_frame(f, (size_t)n, dhcp);
    }
  }
  printf("{\"kind\":\"%s\",\"answers\":[", dhcp ? "dhcp" : "rs");
  for (int k = 0; k < nprobes; k++) {
    const uint8_t *m = probes[k].mac, *s = probes[k].server;
    printf("%s{\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"answered\":%s", k ? "," : "", m[0], m[1], m[2], m[3], m[4], m[5],
           probes[k].answered ? "true" : "false");
    if (probes[k].answered)
      printf(",\"latency_us\":%.0f,\"%s\":\"%s\",\"server_mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", probes[k].latency_us,
             dhcp ? "yiaddr" : "prefix", probes[k].what, s[0], s[1], s[2], s[3], s[4], s[5]);
    if (probes[k].answered && probes[k].hostname[0]) printf(",\"hostname\":\"%s\"", probes[k].hostname);
    printf("}");
  }
  printf("]}\n");
  return 0;
}
