/*
 * Byte order and Internet checksum helpers shared by the C test tools
 * (test/bench/olkgen.c, test/e2e/tools/olkflood.c, test/e2e/tools/olkprobe.c),
 * which build and parse raw frames. Header-only: each tool is one cc call.
 */
#ifndef OLKWIRE_H
#define OLKWIRE_H

#include <stddef.h>
#include <stdint.h>

static inline void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static inline void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Ones'-complement sum of 16-bit words (RFC 1071), starting from s; an odd last octet is padded. */
static inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t s) {
  for (; n > 1; p += 2, n -= 2) s += (uint32_t)(p[0] << 8 | p[1]);
  if (n) s += (uint32_t)(p[0] << 8);
  return s;
}

/* The checksum field value of a sum: folded to 16 bits and complemented. */
static inline uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

#endif
