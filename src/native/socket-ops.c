/*
 * Generic socket operations: setsockopt/getsockopt, BPF attach, bind
 * (packet, netlink, unix), the sends and interface name lookups. Setup
 * calls throw; sends return bytes or -errno (module.c's conventions).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "addon.h"

/* bind() of a packet socket to protocol (host order) on ifindex (0: all); -1 with errno on failure. */
int bind_ll(int fd, uint16_t protocol, int32_t ifindex) {
  struct sockaddr_ll ll = {0};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(protocol);
  ll.sll_ifindex = ifindex;
  return bind(fd, (struct sockaddr *)&ll, sizeof ll);
}

/* Instruction count of a BPF program of n bytes; 0 unless 1..BPF_MAXINSNS whole sock_filters. */
unsigned short filter_insns(size_t n) {
  if (n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS) return 0;
  return (unsigned short)(n / sizeof(struct sock_filter));
}

napi_value js_setsockopt_int(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name, value;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name) || !get_i32(env, argv[3], &value))
    return NULL;
  if (setsockopt(fd, level, name, &value, sizeof value) < 0)
    return throw_errno(env, "setsockopt", errno);
  return undefined(env);
}

/* setsockoptBuffer(fd, level, name, bytes): an option that is a struct
 * (PACKET_ADD_MEMBERSHIP's packet_mreq), laid out by the caller. */
napi_value js_setsockopt_buffer(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name;
  void *data;
  size_t len;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name) || !get_bytes(env, argv[3], &data, &len))
    return NULL;
  if (len > 256) return throw_errno(env, "setsockopt", EINVAL);
  if (setsockopt(fd, level, name, data, (socklen_t)len) < 0)
    return throw_errno(env, "setsockopt", errno);
  return undefined(env);
}

/* getsockoptBuffer(fd, level, name, length) -> Buffer of the returned size. */
napi_value js_getsockopt_buffer(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name;
  uint32_t want;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name) || !get_u32(env, argv[3], &want))
    return NULL;
  if (want > RXBUF_SIZE) return throw_errno(env, "getsockopt", EINVAL);
  /* The receive buffer is free here: drain() copies each frame out before
   * calling JS, which is the only way we can be re-entered. */
  unsigned char *tmp = get_inst(env)->rxbuf;
  socklen_t len = want;
  if (getsockopt(fd, level, name, tmp, &len) < 0) return throw_errno(env, "getsockopt", errno);
  napi_value out;
  void *copy;
  napi_create_buffer_copy(env, len < want ? len : want, tmp, &copy, &out);
  return out;
}

/* attachFilter(fd, program): program is an array of struct sock_filter
 * (8 bytes each, host byte order) built by src/io/bpf.ts. */
napi_value js_attach_filter(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  void *data;
  size_t len;
  if (!get_i32(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &len)) return NULL;
  unsigned short insns = filter_insns(len);
  if (insns == 0) return throw_errno(env, "attachFilter", EINVAL);
  struct sock_fprog prog = {insns, data};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
    return throw_errno(env, "setsockopt", errno);
  return undefined(env);
}

/* bindPacket(fd, protocol, ifindex): protocol in host order (0x0003 ETH_P_ALL);
 * ifindex 0 = every interface of the namespace. */
napi_value js_bind_packet(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, protocol, ifindex;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &protocol) ||
      !get_i32(env, argv[2], &ifindex))
    return NULL;
  if (bind_ll(fd, (uint16_t)protocol, ifindex) < 0) return throw_errno(env, "bind", errno);
  return undefined(env);
}

/* bindNetlink(fd, groups): nl_pid 0 lets the kernel pick our port id. */
napi_value js_bind_netlink(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  uint32_t groups;
  if (!get_i32(env, argv[0], &fd) || !get_u32(env, argv[1], &groups)) return NULL;
  struct sockaddr_nl nl = {0};
  nl.nl_family = AF_NETLINK;
  nl.nl_groups = groups;
  if (bind(fd, (struct sockaddr *)&nl, sizeof nl) < 0) return throw_errno(env, "bind", errno);
  return undefined(env);
}

/* Fills a sockaddr_un; returns 0 or an errno. A leading '@' or NUL names an
 * abstract socket (unix(7)): no trailing NUL, length counts exactly the name,
 * which is how systemd passes NOTIFY_SOCKET=@... */
static int make_sun(napi_env env, napi_value v, struct sockaddr_un *sun, socklen_t *len) {
  char path[sizeof sun->sun_path + 1];
  size_t n;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return -1;
  if (n == 0) return EINVAL;
  if (n > sizeof sun->sun_path) return ENAMETOOLONG;
  napi_get_value_string_utf8(env, v, path, sizeof path, &n);
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  if (path[0] == '@' || path[0] == '\0') {
    memcpy(sun->sun_path + 1, path + 1, n - 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  } else {
    if (n >= sizeof sun->sun_path) return ENAMETOOLONG; /* room for the NUL */
    memcpy(sun->sun_path, path, n);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
  }
  return 0;
}

napi_value js_bind_unix(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  struct sockaddr_un sun;
  socklen_t len;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  int err = make_sun(env, argv[1], &sun, &len);
  if (err < 0) return throw_type(env, "expected a string path");
  if (err) return throw_errno(env, "bind", err);
  if (bind(fd, (struct sockaddr *)&sun, len) < 0) return throw_errno(env, "bind", errno);
  return undefined(env);
}

/* sendToUnix(fd, path, data) -> bytes sent or -errno. */
napi_value js_send_to_unix(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  struct sockaddr_un sun;
  socklen_t len;
  void *data;
  size_t n;
  if (!get_i32(env, argv[0], &fd) || !get_bytes(env, argv[2], &data, &n)) return NULL;
  int err = make_sun(env, argv[1], &sun, &len);
  if (err < 0) return throw_type(env, "expected a string path");
  if (err) return num(env, -err);
  ssize_t r = sendto(fd, data, n, MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
  return num(env, r < 0 ? -errno : r);
}

/* sendPacket(fd, ifindex, frame[, length]) -> bytes sent or -errno (ENETDOWN:
 * link down, ENXIO: interface gone). The destination in sockaddr_ll is the
 * frame's own destination MAC; the ethertype is copied so skb->protocol is
 * right. `length` sends only the first bytes of `frame`, so a caller can
 * encode every reply into one reused buffer (no allocation per frame). */
napi_value js_send_packet(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return throw_type(env, "missing argument");
  int32_t fd, ifindex;
  void *data;
  size_t n;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &ifindex) ||
      !get_bytes(env, argv[2], &data, &n))
    return NULL;
  if (argc >= 4) {
    napi_valuetype t;
    napi_typeof(env, argv[3], &t);
    if (t != napi_undefined) {
      uint32_t len;
      if (!get_u32(env, argv[3], &len)) return NULL;
      if (len > n) return num(env, -EINVAL);
      n = len;
    }
  }
  if (n < 14) return num(env, -EINVAL); /* not even an Ethernet header */
  const unsigned char *frame = data;
  struct sockaddr_ll ll = {0};
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = ifindex;
  ll.sll_halen = 6;
  memcpy(ll.sll_addr, frame, 6);
  memcpy(&ll.sll_protocol, frame + 12, 2); /* already network order */
  ssize_t r = sendto(fd, data, n, 0, (struct sockaddr *)&ll, sizeof ll);
  return num(env, r < 0 ? -errno : r);
}

/* send(fd, data) -> bytes sent or -errno; netlink requests go to the kernel. */
napi_value js_send(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  void *data;
  size_t n;
  if (!get_i32(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &n)) return NULL;
  ssize_t r = send(fd, data, n, MSG_NOSIGNAL);
  return num(env, r < 0 ? -errno : r);
}

/* ifNameToIndex(name) -> index, 0 when there is no such interface. */
napi_value js_if_name_to_index(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[IF_NAMESIZE + 1];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &n) != napi_ok)
    return throw_type(env, "expected a string");
  if (n == 0 || n >= IF_NAMESIZE) return num(env, 0);
  napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n);
  return num(env, if_nametoindex(name));
}

/* ifIndexToName(index) -> name, undefined when there is none. */
napi_value js_if_index_to_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  uint32_t index;
  char name[IF_NAMESIZE];
  napi_value out;
  if (!get_u32(env, argv[0], &index)) return NULL;
  if (index == 0 || !if_indextoname(index, name)) return undefined(env);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out);
  return out;
}
