/*
 * Opening per-tap receiving packet sockets: one (openPacketReceiver) or
 * many at once on a libuv pool thread (openPacketReceivers, start-up). The
 * setup recipe is here rather than in TypeScript because the pool thread
 * cannot call into JS; TypeScript still chooses the filter and buffer size.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"
#include "closer-pool.h"

/* One per-tap receiving packet socket, set up in an order that never queues
 * an unfiltered frame: socket with protocol 0 (nothing is queued before
 * bind), the classic BPF filter, PACKET_AUXDATA, PACKET_IGNORE_OUTGOING
 * (best effort: Linux >= 4.20; the pkttype check in JS covers older ones),
 * the receive buffer (SO_RCVBUFFORCE with CAP_NET_ADMIN, else SO_RCVBUF),
 * then bind to ETH_P_ALL on ifindex. Thread-safe (plain system calls), so a
 * pool thread can open thousands while the event loop loads bindings.
 * Returns the fd or -errno, with *step naming the call that failed. */
static int open_receiver(int32_t ifindex, const struct sock_filter *filter, unsigned short len, int rcvbuf,
                         const char **step) {
  *step = "socket";
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct sock_fprog prog = {len, (struct sock_filter *)filter};
  int one = 1;
  int err = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    *step = "setsockopt";
    err = errno;
  } else if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) {
    *step = "setsockopt";
    err = errno;
  } else {
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) {
      *step = "setsockopt";
      err = errno;
    } else if (bind_ll(fd, ETH_P_ALL, ifindex) < 0) {
      *step = "bind";
      err = errno;
    }
  }
  if (err) {
    close(fd); /* never bound to a protocol: no RCU wait on close */
    return -err;
  }
  return fd;
}

/* Reads (filter, rcvbuf) arguments at argv[0..1]: the filter as whole sock_filter instructions. */
static int get_filter(napi_env env, napi_value *argv, void **filter, unsigned short *len, int32_t *rcvbuf) {
  size_t n;
  if (!get_bytes(env, argv[0], filter, &n) || !get_i32(env, argv[1], rcvbuf)) return 0;
  *len = filter_insns(n);
  if (*len == 0) {
    throw_errno(env, "openPacketReceiver", EINVAL);
    return 0;
  }
  return 1;
}

/* openPacketReceiver(ifindex, filter, rcvbuf) -> fd, opened as open_receiver
 * says (not yet polled: startRecvGroup). Throws the failing call's errno. */
napi_value js_open_packet_receiver(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t ifindex, rcvbuf;
  void *filter;
  unsigned short len;
  if (!get_i32(env, argv[0], &ifindex) || !get_filter(env, argv + 1, &filter, &len, &rcvbuf)) return NULL;
  const char *step;
  int fd = open_receiver(ifindex, filter, len, rcvbuf, &step);
  if (fd < 0) return throw_errno(env, step, -fd);
  if (register_sock(get_inst(env), fd, AF_PACKET) < 0) return throw_errno(env, "socket", ENOMEM);
  return num(env, fd);
}

typedef struct open_job {
  napi_async_work work;
  napi_ref cb;
  instance *inst;
  size_t n;
  int32_t *ifindexes;
  int32_t *results; /* fd or -errno per ifindex */
  struct sock_filter *filter;
  unsigned short filter_len;
  int32_t rcvbuf;
} open_job;

static void free_open_job(napi_env env, open_job *j) {
  if (j->cb) napi_delete_reference(env, j->cb);
  if (j->work) napi_delete_async_work(env, j->work);
  free(j->ifindexes);
  free(j->results);
  free(j->filter);
  free(j);
}

static void open_job_execute(napi_env env, void *data) {
  (void)env; /* a pool thread: no N-API calls here */
  open_job *j = data;
  for (size_t i = 0; i < j->n; i++) {
    const char *step;
    j->results[i] = open_receiver(j->ifindexes[i], j->filter, j->filter_len, j->rcvbuf, &step);
  }
}

static void open_job_complete(napi_env env, napi_status status, void *data) {
  open_job *j = data;
  instance *inst = j->inst;
  /* Bound AF_PACKET sockets: closed by the closer threads (close_fd), never here, where each
   * close would wait for an RCU grace period on the event loop. */
  if (status != napi_ok || inst->tearing_down) {
    for (size_t i = 0; i < j->n; i++)
      if (j->results[i] >= 0) close_fd(j->results[i], AF_PACKET);
    free_open_job(env, j);
    return;
  }
  for (size_t i = 0; i < j->n; i++) {
    if (j->results[i] >= 0 && register_sock(inst, j->results[i], AF_PACKET) < 0) j->results[i] = -ENOMEM;
  }
  napi_handle_scope hs;
  napi_open_handle_scope(env, &hs);
  napi_value ab, arr, fn;
  void *buf = NULL;
  if (napi_create_arraybuffer(env, j->n * sizeof(int32_t), &buf, &ab) != napi_ok || (j->n && !buf) ||
      napi_create_typedarray(env, napi_int32_array, j->n, ab, 0, &arr) != napi_ok) {
    /* Nobody can be told: give the sockets back rather than leak them. */
    napi_close_handle_scope(env, hs);
    for (size_t i = 0; i < j->n; i++) {
      if (j->results[i] < 0) continue;
      sock **link;
      sock *s = find_sock(inst, j->results[i], &link);
      if (s) {
        *link = s->next;
        free(s);
      }
      close_fd(j->results[i], AF_PACKET);
    }
    free_open_job(env, j);
    return;
  }
  memcpy(buf, j->results, j->n * sizeof(int32_t));
  napi_get_reference_value(env, j->cb, &fn);
  call_js(env, fn, 1, &arr);
  napi_close_handle_scope(env, hs);
  free_open_job(env, j);
}

/* openPacketReceivers(ifindexes, filter, rcvbuf, cb): opens one receiver
 * per ifindex on a libuv pool thread (open_receiver: socket creation is
 * the kernel's slowest step with thousands of taps, and it overlaps the
 * event loop's own start-up work this way), then cb(results) on the loop:
 * an Int32Array, per ifindex its fd (registered here, not yet polled) or
 * -errno. */
napi_value js_open_packet_receivers(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t rcvbuf;
  void *filter;
  unsigned short len;
  size_t n;
  void *idx;
  if (!get_typedarray(env, argv[0], napi_int32_array, "ifindexes: expected an Int32Array", &idx, &n) ||
      !get_filter(env, argv + 1, &filter, &len, &rcvbuf) || !check_function(env, argv[3]))
    return NULL;
  open_job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, "openPacketReceivers", ENOMEM);
  j->inst = get_inst(env);
  j->n = n;
  j->filter_len = len;
  j->rcvbuf = rcvbuf;
  /* Copies: the pool thread must not touch JS memory. */
  j->ifindexes = malloc((n ? n : 1) * sizeof(int32_t));
  j->results = malloc((n ? n : 1) * sizeof(int32_t));
  j->filter = malloc(len * sizeof(struct sock_filter));
  if (!j->ifindexes || !j->results || !j->filter) {
    free_open_job(env, j);
    return throw_errno(env, "openPacketReceivers", ENOMEM);
  }
  memcpy(j->ifindexes, idx, n * sizeof(int32_t));
  memcpy(j->filter, filter, len * sizeof(struct sock_filter));
  napi_value name;
  napi_create_string_utf8(env, "onlinkd:open-receivers", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[3], 1, &j->cb);
  if (napi_create_async_work(env, NULL, name, open_job_execute, open_job_complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    free_open_job(env, j);
    return throw_errno(env, "openPacketReceivers", ENOMEM);
  }
  return undefined(env);
}

