/*
 * onlinkd_native: a minimal, generic, non-blocking socket layer for Node.
 *
 * Why native at all: Node cannot open AF_PACKET or AF_NETLINK sockets, and
 * its dgram module cannot send AF_UNIX datagrams (sd_notify). Everything that
 * is a protocol decision -- which socket options, the BPF program, parsing of
 * frames and netlink messages -- stays in TypeScript (src/io/). This file
 * only moves bytes and reports errno values. One exception: the setup recipe
 * of a per-tap receiving packet socket (open_receiver: which options, in
 * which order) is here, because start-up runs it on a pool thread, which
 * cannot call into JS; TypeScript still chooses the filter and buffer size.
 * And one thing that is not about sockets: dropPrivileges (src/runtime/privileges.ts
 * decides to whom), because capabilities belong to each thread and only
 * native code can reach Node's other threads (see its comment).
 *
 * Conventions (mirrored in src/io/native.ts):
 *   - Setup calls (socket, setsockoptInt, getsockoptBuffer, attachFilter,
 *     bind*, close, startRecv) THROW on failure an Error shaped like Node's
 *     system errors: .code = 'ENETDOWN', .errno = -100, .syscall = 'bind'.
 *   - Hot-path sends (sendPacket, send, sendToUnix) NEVER throw for an OS
 *     error: they return the byte count (>= 0) or a negative errno
 *     (-ENETDOWN, -ENXIO, ...). A link that goes down under a busy daemon
 *     is routine, not exceptional. Wrong argument types throw TypeError.
 *   - startRecv callback: cb(err, data, ifindex, pkttype, tpStatus, vlanTci)
 *     with err a positive errno (data null) or 0. Positional arguments
 *     instead of a meta object avoid one allocation per frame; the TS
 *     wrapper builds the typed object it needs.
 *   - setRecvGroup + startRecvGroup (the per-tap packet sockets): frames
 *     go by recvmmsg straight into a JS-owned ring with their metadata in
 *     an Int32Array (no allocation per frame), and JS is called once per
 *     event-loop iteration for every grouped socket: cb(count), or
 *     cb(-errno, fd) on a socket's error. Netlink and sd_notify use
 *     startRecv.
 *
 * State lives in per-env instance data (napi_set_instance_data) so the addon
 * works in several worker threads at once; uv_poll handles use the env's own
 * loop (napi_get_uv_event_loop, never uv_default_loop), and an async cleanup
 * hook (N-API 8) closes them before a worker's loop is torn down.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

/* Frames drained per wake-up: bounds the time spent before other handles
 * (timers, the control socket) get a turn; epoll is level-triggered, so
 * whatever is left wakes us again on the next loop iteration. */
#define MAX_BATCH 256
/* Large enough for a 64 KiB GSO frame or a netlink dump chunk. */
#define RXBUF_SIZE (256 * 1024)

typedef struct instance instance;

/* Receive group rings: up to MAX_MMSG frames per recvmmsg, one ring slot
 * per frame, META_FIELDS int32 of metadata per frame. */
#define MAX_MMSG 64
#define META_FIELDS 8 /* offset, length, ifindex, pkttype, tp_status, vlan_tci, flags, socket fd */
#define META_TRUNCATED 1

/* recvmmsg's headers: one set per thread (instance), not per socket, since
 * on_poll is never re-entered (thousands of per-tap sockets stay cheap). */
typedef struct mmsg_scratch {
  struct mmsghdr msgs[MAX_MMSG];
  struct iovec iov[MAX_MMSG];
  struct sockaddr_ll from[MAX_MMSG];
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
  } ctl[MAX_MMSG];
} mmsg_scratch;

/* The receive group (setRecvGroup + startRecvGroup): every grouped socket
 * of a thread reads into ONE ring, and JS is called once per event-loop
 * iteration (from a uv_check handle, after the poll phase) for all of them,
 * or earlier when the ring fills. With thousands of per-tap sockets and
 * traffic spread over them, a wake-up per socket otherwise costs a JS call
 * and a callback scope per frame. Meta row field 7 is the frame's socket.
 * Frames of a socket closed before delivery are flagged META_DROPPED. */
#define META_DROPPED 2
typedef struct group {
  napi_ref ring_ref, meta_ref, callback;
  napi_async_context async_ctx;
  unsigned char *ring;
  int32_t *meta;
  uint32_t slot_size;
  uint32_t slots;   /* frames the ring holds: min(ring slots, meta rows) */
  uint32_t pending; /* frames read, not yet delivered */
  uv_check_t check;
  int check_active;
  int delivering;
} group;

/* A receiving socket's poll handle. Allocated by startRecv and freed only in
 * the uv_close callback, so it can outlive close(fd) by one loop turn. */
typedef struct poller {
  uv_poll_t handle;
  instance *inst;
  int fd;
  int stopped;     /* stopRecv/close called: handle is closing */
  int dispatching; /* inside on_poll: defer releasing JS objects */
  int grouped;     /* reads into the instance's receive group (no JS refs of its own) */
  napi_ref callback;
  napi_async_context async_ctx;
} poller;

/* Every fd this instance opened, so close() only closes our own fds and env
 * teardown can close them all. */
typedef struct sock {
  struct sock *next;
  int fd;
  int domain;
  poller *poll; /* NULL when not receiving */
} sock;

struct instance {
  napi_env env;
  uv_loop_t *loop;
  sock *socks;
  int pending_closes; /* uv_close calls whose callback has not run yet */
  napi_async_cleanup_hook_handle cleanup_hook;
  int tearing_down;
  unsigned char *rxbuf;
  mmsg_scratch *mm; /* allocated by setRecvGroup */
  group *grp;       /* setRecvGroup; freed when its check handle has closed */
};

/* ---- errors and argument helpers ------------------------------------- */

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[160];
  const char *name = strerrorname_np(err);
  napi_value code, message, error, num, sc;
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &num); /* negative, like Node's own errors */
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* Fetch exactly n arguments or throw; every binding starts with this. */
#define ARGS(n)                                                        \
  size_t argc = (n);                                                   \
  napi_value argv[(n) > 0 ? (n) : 1];                                  \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);                \
  if (argc < (size_t)(n)) return throw_type(env, "missing argument")

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) == napi_ok) return 1;
  throw_type(env, "expected a number");
  return 0;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) == napi_ok) return 1;
  throw_type(env, "expected a number");
  return 0;
}

/* Accepts a Buffer or any Uint8Array (Node treats both as buffers). */
static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  if (napi_get_buffer_info(env, v, data, len) == napi_ok) return 1;
  throw_type(env, "expected a Buffer or Uint8Array");
  return 0;
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

static instance *get_inst(napi_env env) {
  void *p = NULL;
  napi_get_instance_data(env, &p);
  return p;
}

static sock *find_sock(instance *inst, int fd, sock ***link) {
  for (sock **pp = &inst->socks; *pp; pp = &(*pp)->next) {
    if ((*pp)->fd == fd) {
      if (link) *link = pp;
      return *pp;
    }
  }
  return NULL;
}

/* ---- closing AF_PACKET sockets off the loop ---------------------------- */

/* close() of an AF_PACKET socket waits for an RCU grace period in the kernel
 * (packet_release -> synchronize_net): ~12 ms each on this machine kind,
 * bound or not. One socket per tap would make every tap removal stall the
 * event loop that long, and 4096 of them take 49 s to close -- at daemon
 * stop, or in the kernel at process exit. Grace periods of concurrent
 * closes overlap (measured: 1024 sockets in 14.4 s from one thread, 0.22 s
 * from 64), so AF_PACKET fds are closed by up to MAX_CLOSERS short-lived
 * threads, and at process exit every packet fd still open is closed the
 * same way before exit() returns to the kernel. */
#define MAX_CLOSERS 64
static pthread_mutex_t closer_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closer_idle = PTHREAD_COND_INITIALIZER;
static int *closer_q;          /* fds waiting to be closed */
static size_t closer_len, closer_cap;
static int closer_threads;     /* running closer threads */
static int *open_packet;       /* AF_PACKET fds open in any env (for exit) */
static size_t open_len, open_cap;
static int closer_atexit;

static int push_fd(int **arr, size_t *len, size_t *cap, int fd) {
  if (*len == *cap) {
    size_t n = *cap ? *cap * 2 : 64;
    int *a = realloc(*arr, n * sizeof *a);
    if (!a) return -1;
    *arr = a;
    *cap = n;
  }
  (*arr)[(*len)++] = fd;
  return 0;
}

static void *closer_main(void *unused) {
  (void)unused;
  pthread_mutex_lock(&closer_mu);
  while (closer_len > 0) {
    int fd = closer_q[--closer_len];
    pthread_mutex_unlock(&closer_mu);
    close(fd);
    pthread_mutex_lock(&closer_mu);
  }
  if (--closer_threads == 0) pthread_cond_broadcast(&closer_idle);
  pthread_mutex_unlock(&closer_mu);
  return NULL;
}

/* Called with closer_mu held: enough threads for what is queued. */
static void closer_spawn_locked(void) {
  while (closer_threads < MAX_CLOSERS && (size_t)closer_threads < closer_len) {
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 64 * 1024);
    int r = pthread_create(&t, &a, closer_main, NULL);
    pthread_attr_destroy(&a);
    if (r != 0) break;
    closer_threads++;
  }
}

/* At exit: close what is still open (in parallel), wait for every close. */
static void closer_drain_at_exit(void) {
  pthread_mutex_lock(&closer_mu);
  for (size_t i = 0; i < open_len; i++)
    if (push_fd(&closer_q, &closer_len, &closer_cap, open_packet[i]) < 0) close(open_packet[i]);
  open_len = 0;
  closer_spawn_locked();
  if (closer_threads == 0) { /* no thread could start: do it here */
    while (closer_len > 0) close(closer_q[--closer_len]);
  }
  while (closer_threads > 0) pthread_cond_wait(&closer_idle, &closer_mu);
  pthread_mutex_unlock(&closer_mu);
}

static void track_packet_fd(int fd) {
  pthread_mutex_lock(&closer_mu);
  if (!closer_atexit) closer_atexit = atexit(closer_drain_at_exit) == 0;
  push_fd(&open_packet, &open_len, &open_cap, fd); /* on ENOMEM the kernel closes it at exit */
  pthread_mutex_unlock(&closer_mu);
}

/* Closes fd now (most sockets) or on a closer thread (AF_PACKET). Never blocks for long. */
static void close_fd(int fd, int domain) {
  if (domain != AF_PACKET) {
    close(fd);
    return;
  }
  pthread_mutex_lock(&closer_mu);
  for (size_t i = 0; i < open_len; i++) {
    if (open_packet[i] == fd) {
      open_packet[i] = open_packet[--open_len];
      break;
    }
  }
  int queued = push_fd(&closer_q, &closer_len, &closer_cap, fd) == 0;
  if (queued) closer_spawn_locked();
  if (queued && closer_threads == 0) closer_len--; /* no thread: take it back */
  pthread_mutex_unlock(&closer_mu);
  if (!queued || closer_threads == 0) close(fd);
}

/* ---- receive path ---------------------------------------------------- */

static void release_js(poller *p) {
  napi_env env = p->inst->env;
  if (p->callback) napi_delete_reference(env, p->callback);
  if (p->async_ctx) napi_async_destroy(env, p->async_ctx);
  p->callback = NULL;
  p->async_ctx = NULL;
}

/* During env teardown, tells Node we are done once the last handle is gone. */
static void release_cleanup_hook(instance *inst) {
  if (inst->pending_closes == 0 && inst->tearing_down && inst->cleanup_hook) {
    napi_remove_async_cleanup_hook(inst->cleanup_hook);
    inst->cleanup_hook = NULL;
  }
}

static void on_poll_closed(uv_handle_t *h) {
  poller *p = h->data;
  instance *inst = p->inst;
  free(p);
  inst->pending_closes--;
  release_cleanup_hook(inst);
}

/* Idempotent. uv_close stops polling synchronously (epoll_ctl DEL), so the
 * caller may close the fd right after; memory goes in on_poll_closed. */
static void stop_poller(poller *p) {
  if (p->stopped) return;
  p->stopped = 1;
  p->inst->pending_closes++;
  uv_close((uv_handle_t *)&p->handle, on_poll_closed);
  if (!p->dispatching) release_js(p);
}

/* Calls fn(...argv); returns 0 if it threw (the exception is handed to
 * process 'uncaughtException', as for any event callback). */
static int call_js(napi_env env, napi_value fn, size_t argc, const napi_value *argv) {
  napi_value recv, result, exc;
  napi_get_undefined(env, &recv);
  if (napi_call_function(env, recv, fn, argc, argv, &result) != napi_pending_exception) return 1;
  napi_get_and_clear_last_exception(env, &exc);
  napi_fatal_exception(env, exc);
  return 0;
}

/* Calls a startRecv callback with one frame or an errno; returns 0 if it threw. */
static int deliver(poller *p, napi_value fn, int err, const void *data, size_t len,
                   int ifindex, int pkttype, uint32_t status, uint32_t tci) {
  napi_env env = p->inst->env;
  napi_handle_scope hs;
  napi_value argv[6];
  napi_open_handle_scope(env, &hs); /* one per frame: no handle build-up */
  napi_create_int32(env, err, &argv[0]);
  void *copy;
  if (!data || napi_create_buffer_copy(env, len, data, &copy, &argv[1]) != napi_ok) {
    if (data) napi_create_int32(env, ENOMEM, &argv[0]); /* report, don't crash */
    napi_get_null(env, &argv[1]);
  }
  napi_create_int32(env, ifindex, &argv[2]);
  napi_create_int32(env, pkttype, &argv[3]);
  napi_create_uint32(env, status, &argv[4]);
  napi_create_uint32(env, tci, &argv[5]);
  int ok = call_js(env, fn, 6, argv);
  napi_close_handle_scope(env, hs);
  return ok;
}

static void on_poll(uv_poll_t *h, int status, int events);
static void group_flush(instance *inst);
static void group_call(instance *inst, int32_t count, int32_t fd);

/* libuv trap: on EPOLLERR uv_poll stops the handle and reports UV_EBADF even
 * though the fd is fine (e.g. netlink ENOBUFS, ENETDOWN on a bound packet
 * socket). Read and clear SO_ERROR, report it, and poll again, or the socket
 * would silently go deaf. */
static void handle_poll_error(poller *p, napi_value fn) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
    err = errno; /* EBADF: the fd really was closed behind our back */
  } else {
    /* POLLERR also means "error queue not empty"; drain it so it clears. */
    char tmp[256];
    for (int i = 0; i < 64; i++) {
      struct iovec iov = {tmp, sizeof tmp};
      struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
      if (recvmsg(p->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
    }
  }
  if (err) {
    if (p->grouped) {
      group_flush(p->inst);
      group_call(p->inst, -err, p->fd);
    } else {
      deliver(p, fn, err, NULL, 0, 0, 0, 0, 0);
    }
  }
  if (!p->stopped && err != EBADF && err != ENOTSOCK)
    uv_poll_start(&p->handle, UV_READABLE, on_poll);
}

/* PACKET_AUXDATA of a received frame: the kernel strips 802.1Q tags before
 * we see the frame; the tag (and TP_STATUS_CSUMNOTREADY for checksum-
 * offloading guests) is here. Leaves *status and *tci alone when absent. */
static void read_auxdata(struct msghdr *m, uint32_t *status, uint32_t *tci) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
      struct tpacket_auxdata aux;
      memcpy(&aux, CMSG_DATA(c), sizeof aux);
      *status = aux.tp_status;
      *tci = aux.tp_vlan_tci;
    }
  }
}

static void drain(poller *p, napi_value fn) {
  instance *inst = p->inst;
  for (int i = 0; i < MAX_BATCH && !p->stopped; i++) {
    struct sockaddr_storage from;
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } ctl;
    struct iovec iov = {inst->rxbuf, RXBUF_SIZE};
    struct msghdr msg = {
        .msg_name = &from, .msg_namelen = sizeof from,
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
    };
    ssize_t n = recvmsg(p->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* Netlink reports a receive overrun as ENOBUFS here: JS re-dumps. */
      if (errno != EAGAIN && errno != EWOULDBLOCK) deliver(p, fn, errno, NULL, 0, 0, 0, 0, 0);
      return;
    }
    int ifindex = 0, pkttype = 0;
    uint32_t status = 0, tci = 0;
    if (msg.msg_namelen >= sizeof(struct sockaddr_ll) && from.ss_family == AF_PACKET) {
      const struct sockaddr_ll *ll = (const struct sockaddr_ll *)&from;
      ifindex = ll->sll_ifindex;
      pkttype = ll->sll_pkttype;
    }
    read_auxdata(&msg, &status, &tci);
    if (!deliver(p, fn, 0, inst->rxbuf, (size_t)n, ifindex, pkttype, status, tci)) return;
  }
}

/* One recvmmsg of up to n frames into ring slots [first, first + n) with
 * their meta rows; returns the frame count, 0 when nothing was waiting, or
 * -errno. Row field 7 is `tag` (the socket, for the receive group). */
static int read_mmsg(mmsg_scratch *mm, int fd, unsigned char *ring, uint32_t slot_size, int32_t *meta,
                     uint32_t first, unsigned n, int32_t tag) {
  for (unsigned i = 0; i < n; i++) {
    mm->iov[i].iov_base = ring + (size_t)(first + i) * slot_size;
    mm->iov[i].iov_len = slot_size;
    memset(&mm->msgs[i].msg_hdr, 0, sizeof mm->msgs[i].msg_hdr);
    mm->msgs[i].msg_hdr.msg_name = &mm->from[i];
    mm->msgs[i].msg_hdr.msg_namelen = sizeof mm->from[i];
    mm->msgs[i].msg_hdr.msg_iov = &mm->iov[i];
    mm->msgs[i].msg_hdr.msg_iovlen = 1;
    mm->msgs[i].msg_hdr.msg_control = mm->ctl[i].buf;
    mm->msgs[i].msg_hdr.msg_controllen = sizeof mm->ctl[i].buf;
    mm->msgs[i].msg_len = 0;
  }
  int r;
  do r = recvmmsg(fd, mm->msgs, n, MSG_DONTWAIT, NULL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  for (int i = 0; i < r; i++) {
    struct msghdr *m = &mm->msgs[i].msg_hdr;
    int32_t *row = meta + (size_t)(first + i) * META_FIELDS;
    int32_t ifindex = 0, pkttype = 0, flags = 0;
    uint32_t status = 0, tci = 0;
    if (m->msg_namelen >= sizeof(struct sockaddr_ll) && mm->from[i].sll_family == AF_PACKET) {
      ifindex = mm->from[i].sll_ifindex;
      pkttype = mm->from[i].sll_pkttype;
    }
    read_auxdata(m, &status, &tci);
    if (m->msg_flags & MSG_TRUNC) flags |= META_TRUNCATED;
    row[0] = (int32_t)((size_t)(first + i) * slot_size);
    row[1] = (int32_t)mm->msgs[i].msg_len;
    row[2] = ifindex;
    row[3] = pkttype;
    row[4] = (int32_t)status;
    row[5] = (int32_t)tci;
    row[6] = flags;
    row[7] = tag;
  }
  return r;
}

/* Calls the group callback as cb(count) or cb(-errno, fd) inside a callback
 * scope (nextTick and promise jobs run when it closes, as after any I/O). */
static void group_call(instance *inst, int32_t count, int32_t fd) {
  group *g = inst->grp;
  if (!g || !g->callback) return;
  napi_env env = inst->env;
  napi_handle_scope hs;
  napi_callback_scope cs;
  napi_value fn, argv[2];
  napi_open_handle_scope(env, &hs);
  napi_get_reference_value(env, g->callback, &fn);
  napi_create_int32(env, count, &argv[0]);
  napi_create_int32(env, fd, &argv[1]);
  g->delivering = 1;
  napi_open_callback_scope(env, fn, g->async_ctx, &cs);
  call_js(env, fn, 2, argv);
  napi_close_callback_scope(env, cs);
  g->delivering = 0;
  napi_close_handle_scope(env, hs);
}

/* Hands the frames read so far to JS; the ring is free again afterwards. */
static void group_flush(instance *inst) {
  group *g = inst->grp;
  if (!g || !g->callback || g->pending == 0 || g->delivering) return;
  uint32_t n = g->pending;
  group_call(inst, (int32_t)n, -1);
  g->pending = 0;
}

static void on_group_check(uv_check_t *h) {
  instance *inst = h->data;
  group_flush(inst);
  if (inst->grp && inst->grp->pending == 0 && inst->grp->check_active) {
    uv_check_stop(&inst->grp->check);
    inst->grp->check_active = 0;
  }
}

/* A grouped socket is readable: read up to MAX_BATCH frames into the group
 * ring (delivering whenever it fills), then leave the rest to the check
 * phase. Level-triggered epoll brings us back for anything left. */
static void group_read(poller *p) {
  instance *inst = p->inst;
  group *g = inst->grp;
  for (unsigned total = 0; total < MAX_BATCH && !p->stopped && g && g->ring;) {
    if (g->pending == g->slots) {
      group_flush(inst);
      if (g->pending == g->slots) return; /* delivering (re-entered): try next iteration */
      /* The flush ran JS, which may have paused (stopRecv) or closed this
       * socket, or torn the group down: never read a stopped socket again
       * (once closed, its fd number may already belong to another socket). */
      if (p->stopped || !g->ring) return;
    }
    unsigned n = g->slots - g->pending;
    if (n > MAX_MMSG) n = MAX_MMSG;
    if (n > MAX_BATCH - total) n = MAX_BATCH - total;
    int r = read_mmsg(inst->mm, p->fd, g->ring, g->slot_size, g->meta, g->pending, n, p->fd);
    if (r < 0) {
      group_flush(inst); /* keep order: what was read, then the error */
      group_call(inst, r, p->fd);
      return;
    }
    if (r == 0) break;
    g->pending += (uint32_t)r;
    total += (unsigned)r;
    if ((unsigned)r < n) break; /* drained */
  }
  if (g && g->pending > 0 && !g->check_active) {
    uv_check_start(&g->check, on_group_check);
    g->check_active = 1;
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  poller *p = h->data;
  napi_env env = p->inst->env;
  napi_handle_scope hs;
  napi_callback_scope cs;
  napi_value fn;
  if (p->stopped) return;
  if (p->grouped) {
    /* No JS here unless the ring fills: errors and frames go through the group. */
    p->dispatching = 1;
    if (status < 0) handle_poll_error(p, NULL);
    else group_read(p);
    p->dispatching = 0;
    return;
  }
  if (!p->callback) return;
  napi_open_handle_scope(env, &hs);
  napi_get_reference_value(env, p->callback, &fn);
  /* A callback scope per wake-up: process.nextTick callbacks and promise
   * jobs queued by the frame handlers run when it closes, exactly as after
   * any Node I/O callback. */
  p->dispatching = 1;
  napi_open_callback_scope(env, fn, p->async_ctx, &cs);
  if (status < 0) handle_poll_error(p, fn);
  else drain(p, fn);
  napi_close_callback_scope(env, cs);
  p->dispatching = 0;
  if (p->stopped) release_js(p); /* closed from inside a callback */
  napi_close_handle_scope(env, hs);
}

/* ---- bindings ---------------------------------------------------------- */

/* Makes fd one of this instance's sockets (closed by close() and at teardown); -ENOMEM (fd closed) if not. */
static int register_sock(instance *inst, int fd, int domain) {
  sock *s = calloc(1, sizeof *s);
  if (!s) {
    close_fd(fd, domain); /* a bound packet socket goes to the closers: no RCU wait here */
    return -ENOMEM;
  }
  s->fd = fd;
  s->domain = domain;
  if (domain == AF_PACKET) track_packet_fd(fd);
  s->next = inst->socks;
  inst->socks = s;
  return 0;
}

/* socket(domain, type, protocol) -> fd; always non-blocking and close-on-exec. */
static napi_value js_socket(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t domain, type, protocol;
  if (!get_i32(env, argv[0], &domain) || !get_i32(env, argv[1], &type) ||
      !get_i32(env, argv[2], &protocol))
    return NULL;
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (register_sock(get_inst(env), fd, domain) < 0) return throw_errno(env, "socket", ENOMEM);
  return num(env, fd);
}

/* ---- packet receivers ------------------------------------------------ */

/* bind() of a packet socket to protocol (host order) on ifindex (0: all); -1 with errno on failure. */
static int bind_ll(int fd, uint16_t protocol, int32_t ifindex) {
  struct sockaddr_ll ll = {0};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(protocol);
  ll.sll_ifindex = ifindex;
  return bind(fd, (struct sockaddr *)&ll, sizeof ll);
}

/* Instruction count of a BPF program of n bytes; 0 unless 1..BPF_MAXINSNS whole sock_filters. */
static unsigned short filter_insns(size_t n) {
  if (n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS) return 0;
  return (unsigned short)(n / sizeof(struct sock_filter));
}

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
static napi_value js_open_packet_receiver(napi_env env, napi_callback_info info) {
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
static napi_value js_open_packet_receivers(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t rcvbuf;
  void *filter;
  unsigned short len;
  napi_typedarray_type t;
  size_t n;
  void *idx;
  napi_value ab;
  size_t off;
  bool is_ta = false;
  napi_valuetype ft;
  napi_is_typedarray(env, argv[0], &is_ta);
  if (!is_ta) return throw_type(env, "ifindexes: expected an Int32Array");
  napi_get_typedarray_info(env, argv[0], &t, &n, &idx, &ab, &off);
  if (t != napi_int32_array) return throw_type(env, "ifindexes: expected an Int32Array");
  if (!get_filter(env, argv + 1, &filter, &len, &rcvbuf)) return NULL;
  napi_typeof(env, argv[3], &ft);
  if (ft != napi_function) return throw_type(env, "expected a callback function");
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

/* close(fd): only fds opened by socket() here, so a stray number can never
 * close stdin or one of Node's own descriptors. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  sock **link;
  sock *s = find_sock(get_inst(env), fd, &link);
  if (!s) return throw_errno(env, "close", EBADF);
  *link = s->next;
  if (s->poll) stop_poller(s->poll); /* before close(): see stop_poller */
  group *g = get_inst(env)->grp;
  if (g && g->meta) {
    /* Its frames still in the group ring must not reach whoever reuses the fd
     * (a socket merely stopped, by pause, still gets what was read). */
    for (uint32_t i = 0; i < g->pending; i++) {
      int32_t *row = g->meta + (size_t)i * META_FIELDS;
      if (row[7] == fd) row[6] |= META_DROPPED;
    }
  }
  close_fd(fd, s->domain);
  free(s);
  return undefined(env);
}

static napi_value js_setsockopt_int(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, level, name, value;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name) || !get_i32(env, argv[3], &value))
    return NULL;
  if (setsockopt(fd, level, name, &value, sizeof value) < 0)
    return throw_errno(env, "setsockopt", errno);
  return undefined(env);
}

/* getsockoptBuffer(fd, level, name, length) -> Buffer of the returned size. */
static napi_value js_getsockopt_buffer(napi_env env, napi_callback_info info) {
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
static napi_value js_attach_filter(napi_env env, napi_callback_info info) {
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
static napi_value js_bind_packet(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, protocol, ifindex;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &protocol) ||
      !get_i32(env, argv[2], &ifindex))
    return NULL;
  if (bind_ll(fd, (uint16_t)protocol, ifindex) < 0) return throw_errno(env, "bind", errno);
  return undefined(env);
}

/* bindNetlink(fd, groups): nl_pid 0 lets the kernel pick our port id. */
static napi_value js_bind_netlink(napi_env env, napi_callback_info info) {
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

static napi_value js_bind_unix(napi_env env, napi_callback_info info) {
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
static napi_value js_send_to_unix(napi_env env, napi_callback_info info) {
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
static napi_value js_send_packet(napi_env env, napi_callback_info info) {
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
static napi_value js_send(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  void *data;
  size_t n;
  if (!get_i32(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &n)) return NULL;
  ssize_t r = send(fd, data, n, MSG_NOSIGNAL);
  return num(env, r < 0 ? -errno : r);
}

/* Starts polling fd: with callback cb (startRecv), or into the receive group (cb NULL). */
static napi_value start_poller(napi_env env, int32_t fd, napi_value cb) {
  if (cb) { /* NULL: a grouped socket (startRecvGroup), which has no callback of its own */
    napi_valuetype t;
    napi_typeof(env, cb, &t);
    if (t != napi_function) return throw_type(env, "expected a callback function");
  }
  instance *inst = get_inst(env);
  sock *s = find_sock(inst, fd, NULL);
  if (!s) return throw_errno(env, "startRecv", EBADF);
  if (s->poll) return throw_errno(env, "startRecv", EBUSY);
  poller *p = calloc(1, sizeof *p);
  if (!p) return throw_errno(env, "startRecv", ENOMEM);
  int r = uv_poll_init(inst->loop, &p->handle, fd);
  if (r < 0) {
    free(p);
    return throw_errno(env, "uv_poll_init", -r);
  }
  p->handle.data = p;
  p->inst = inst;
  p->fd = fd;
  if (cb) {
    napi_value name;
    napi_create_string_utf8(env, "onlinkd:socket", NAPI_AUTO_LENGTH, &name);
    napi_create_reference(env, cb, 1, &p->callback);
    napi_async_init(env, NULL, name, &p->async_ctx);
  } else {
    p->grouped = 1;
  }
  s->poll = p;
  r = uv_poll_start(&p->handle, UV_READABLE, on_poll);
  if (r < 0) {
    s->poll = NULL;
    stop_poller(p);
    return throw_errno(env, "uv_poll_start", -r);
  }
  return undefined(env);
}

/* startRecv(fd, cb): see the callback convention at the top. */
static napi_value js_start_recv(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  return start_poller(env, fd, argv[1]);
}

/* A receive ring (Uint8Array of whole `slot`-byte slots) and its meta rows
 * (Int32Array, META_FIELDS per frame), as setRecvGroup takes them. Returns 0 after throwing (TypeError, or EINVAL named `call`). */
static int get_ring(napi_env env, napi_value ring, napi_value meta, uint32_t slot, const char *call,
                    unsigned char **rdata, size_t *rlen, int32_t **mdata, size_t *mlen) {
  napi_typedarray_type rt, mt;
  napi_value ab;
  size_t off;
  void *r, *m;
  bool is_ta = false;
  napi_is_typedarray(env, ring, &is_ta);
  if (!is_ta) return throw_type(env, "ring: expected a Uint8Array"), 0;
  napi_get_typedarray_info(env, ring, &rt, rlen, &r, &ab, &off);
  napi_is_typedarray(env, meta, &is_ta);
  if (!is_ta) return throw_type(env, "meta: expected an Int32Array"), 0;
  napi_get_typedarray_info(env, meta, &mt, mlen, &m, &ab, &off);
  if (rt != napi_uint8_array) return throw_type(env, "ring: expected a Uint8Array"), 0;
  if (mt != napi_int32_array) return throw_type(env, "meta: expected an Int32Array"), 0;
  if (slot < 64 || slot > RXBUF_SIZE || *rlen / slot < 1 || *mlen / META_FIELDS < 1 || *rlen > INT32_MAX)
    return throw_errno(env, call, EINVAL), 0;
  *rdata = r;
  *mdata = m;
  return 1;
}

static void on_group_check_closed(uv_handle_t *h) {
  instance *inst = h->data;
  free(inst->grp);
  inst->grp = NULL;
  inst->pending_closes--;
  release_cleanup_hook(inst);
}

/* setRecvGroup(ring, meta, slotSize, cb): the thread's receive group (once).
 * ring: Uint8Array of whole slots; meta: Int32Array, META_FIELDS per frame:
 * offset in ring, length, ifindex, pkttype, tp_status, vlan_tci, flags
 * (bit 0: cut to slotSize; bit 1: its socket was closed before delivery),
 * the socket's fd. cb(count) with count > 0 frames in rows 0..count-1, or
 * cb(-errno, fd) for a socket's error. Frames are valid until cb returns. */
static napi_value js_set_recv_group(napi_env env, napi_callback_info info) {
  ARGS(4);
  uint32_t slot;
  size_t rlen, mlen;
  unsigned char *rdata;
  int32_t *mdata;
  napi_valuetype ft;
  if (!get_u32(env, argv[2], &slot)) return NULL;
  if (!get_ring(env, argv[0], argv[1], slot, "setRecvGroup", &rdata, &rlen, &mdata, &mlen)) return NULL;
  napi_typeof(env, argv[3], &ft);
  if (ft != napi_function) return throw_type(env, "expected a callback function");
  instance *inst = get_inst(env);
  if (inst->grp) return throw_errno(env, "setRecvGroup", EBUSY);
  if (!inst->mm && !(inst->mm = calloc(1, sizeof *inst->mm))) return throw_errno(env, "setRecvGroup", ENOMEM);
  group *g = calloc(1, sizeof *g);
  if (!g) return throw_errno(env, "setRecvGroup", ENOMEM);
  int r = uv_check_init(inst->loop, &g->check);
  if (r < 0) {
    free(g);
    return throw_errno(env, "uv_check_init", -r);
  }
  g->check.data = inst;
  /* Not a reason to keep the loop alive: the sockets' poll handles are. */
  uv_unref((uv_handle_t *)&g->check);
  g->ring = rdata;
  g->meta = mdata;
  g->slot_size = slot;
  size_t n = rlen / slot;
  if (n > mlen / META_FIELDS) n = mlen / META_FIELDS;
  g->slots = (uint32_t)n;
  napi_value name;
  napi_create_string_utf8(env, "onlinkd:socket-group", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[0], 1, &g->ring_ref);
  napi_create_reference(env, argv[1], 1, &g->meta_ref);
  napi_create_reference(env, argv[3], 1, &g->callback);
  napi_async_init(env, NULL, name, &g->async_ctx);
  inst->grp = g;
  return undefined(env);
}

/* startRecvGroup(fd): poll fd into the receive group (setRecvGroup first). */
static napi_value js_start_recv_group(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  if (!get_inst(env)->grp) return throw_errno(env, "startRecvGroup", EINVAL);
  return start_poller(env, fd, NULL);
}

/* Releases the group's JS objects and closes its check handle (teardown). */
static void close_group(instance *inst) {
  group *g = inst->grp;
  if (!g || !g->callback) return;
  napi_env env = inst->env;
  napi_delete_reference(env, g->callback);
  napi_delete_reference(env, g->ring_ref);
  napi_delete_reference(env, g->meta_ref);
  napi_async_destroy(env, g->async_ctx);
  g->callback = g->ring_ref = g->meta_ref = NULL;
  g->async_ctx = NULL;
  g->ring = NULL;
  g->meta = NULL;
  g->pending = 0;
  inst->pending_closes++;
  uv_close((uv_handle_t *)&g->check, on_group_check_closed);
}

static napi_value js_stop_recv(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  sock *s = find_sock(get_inst(env), fd, NULL);
  if (!s) return throw_errno(env, "stopRecv", EBADF);
  if (s->poll) stop_poller(s->poll);
  s->poll = NULL;
  return undefined(env);
}

/* ifNameToIndex(name) -> index, 0 when there is no such interface. */
static napi_value js_if_name_to_index(napi_env env, napi_callback_info info) {
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
static napi_value js_if_index_to_name(napi_env env, napi_callback_info info) {
  ARGS(1);
  uint32_t index;
  char name[IF_NAMESIZE];
  napi_value out;
  if (!get_u32(env, argv[0], &index)) return NULL;
  if (index == 0 || !if_indextoname(index, name)) return undefined(env);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* ---- privileges -------------------------------------------------------- */

/*
 * dropPrivileges(uid, gid, groups, keepCaps): started as root, become
 * uid/gid with the supplementary `groups`, keeping only the capabilities in
 * `keepCaps` (CAP_NET_RAW: packet sockets), in EVERY thread of the process.
 *
 * Why this is not just setgroups + setgid + setuid: credentials belong to a
 * thread, not to the process (credentials(7), capabilities(7)). glibc's
 * set*id() and setgroups() wrappers apply the change to every thread (the
 * "setxid" broadcast through an internal signal no thread can block), but
 * nothing does that for capset(2), PR_SET_KEEPCAPS, PR_CAPBSET_DROP or
 * PR_SET_NO_NEW_PRIVS: each affects only the calling thread. Node runs V8
 * platform threads and libuv pool threads beside the main one, and packet
 * sockets are opened on both the main thread and a pool thread (start-up's
 * openPacketReceivers). So the per-thread steps are broadcast here the way
 * glibc and libcap's psx do it: a real-time signal to each thread (tgkill),
 * whose handler makes the raw system calls on that thread. In order:
 *
 *  1. every thread: PR_SET_KEEPCAPS (the permitted set survives the uid
 *     change below) and PR_CAPBSET_DROP of every capability not kept (needs
 *     CAP_SETPCAP, so while still root);
 *  2. this thread, through glibc (so all threads): setgroups, setresgid,
 *     setresuid. Threads from step 1 keep their permitted set with an empty
 *     effective set; any other thread loses every capability (the kernel's
 *     root-to-non-root rule);
 *  3. every thread: capset(effective = permitted = keepCaps, inheritable
 *     empty), ambient set cleared, KEEPCAPS off, PR_SET_NO_NEW_PRIVS;
 *  4. this thread: a seccomp filter that allows everything, attached with
 *     SECCOMP_FILTER_FLAG_TSYNC: its only purpose is that the kernel then
 *     sets no_new_privs on every thread (seccomp(2)), including one the
 *     signal cannot reach;
 *  5. /proc/self/task/N/status of every thread is read back and checked.
 *
 * A thread that blocks every signal cannot be reached in steps 1 and 3
 * (Node's SIGUSR1 watchdog thread does, waiting on a semaphore for ever): it
 * still changes uid and gid in step 2, loses every capability there, and
 * gets no_new_privs in step 4; only its bounding set stays (it limits what
 * an execve could gain, and no_new_privs already forbids any gain). Step 5
 * accepts exactly two outcomes per thread: "kept" (effective = permitted =
 * keepCaps, bounding = keepCaps, inheritable and ambient empty) or
 * "capless" (no capability at all); both with the new uid/gid/groups and
 * no_new_privs. Anything else, or any failed call, throws: the caller must
 * then exit (half-dropped is not a state to serve in). Threads created
 * later inherit the credentials of their creator, one of the checked ones.
 *
 * Returns { threads, kept, capless: [tid...] }.
 */

/* From <grp.h>, whose `struct group` would clash with the receive group's name here. */
extern int setgroups(size_t n, const gid_t *groups);

enum { DROP_IDLE, DROP_PREPARE, DROP_FINISH };
static _Atomic int drop_phase = DROP_IDLE;
static _Atomic pid_t drop_target; /* the thread whose answer is awaited */
static _Atomic pid_t drop_ack;    /* set to its tid by drop_target's handler */
static _Atomic int drop_ack_err;
static uint64_t drop_keep; /* capability mask to keep; written before drop_phase */
static int drop_last_cap;

#define CAP_BIT(c) (1ULL << (c))

static long raw_prctl(int op, unsigned long a) { return syscall(SYS_prctl, op, a, 0UL, 0UL, 0UL); }

/* Step 1 on the calling thread; 0 or an errno. Raw system calls only: it runs in a signal handler. */
static int thread_prepare(void) {
  if (raw_prctl(PR_SET_KEEPCAPS, 1) < 0) return errno;
  for (int c = 0; c <= drop_last_cap; c++) {
    if (drop_keep & CAP_BIT(c)) continue;
    if (raw_prctl(PR_CAPBSET_READ, (unsigned long)c) > 0 && raw_prctl(PR_CAPBSET_DROP, (unsigned long)c) < 0) return errno;
  }
  return 0;
}

/* Step 3 on the calling thread; 0 or an errno. Idempotent. */
static int thread_finish(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  d[0].effective = d[0].permitted = (uint32_t)drop_keep;
  d[1].effective = d[1].permitted = (uint32_t)(drop_keep >> 32);
  if (syscall(SYS_capset, &h, d) < 0) return errno;
  /* Linux < 4.3 has no ambient set (EINVAL): nothing to clear then. */
  if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL) < 0 && errno != EINVAL) return errno;
  if (raw_prctl(PR_SET_KEEPCAPS, 0) < 0) return errno;
  if (raw_prctl(PR_SET_NO_NEW_PRIVS, 1) < 0) return errno;
  return 0;
}

static int run_phase(int phase) {
  return phase == DROP_PREPARE ? thread_prepare() : phase == DROP_FINISH ? thread_finish() : 0;
}

static void on_drop_signal(int sig) {
  (void)sig;
  int saved = errno;
  int phase = atomic_load(&drop_phase);
  if (phase != DROP_IDLE) { /* a late delivery outside a broadcast does nothing */
    int err = run_phase(phase);
    pid_t self = (pid_t)syscall(SYS_gettid);
    if (atomic_load(&drop_target) == self) {
      atomic_store(&drop_ack_err, err);
      atomic_store(&drop_ack, self);
    }
  }
  errno = saved;
}

/* What step 5 reads of a thread. */
typedef struct task_creds {
  unsigned long uid[4], gid[4];
  unsigned long groups[64];
  int ngroups; /* -1: more than fit */
  uint64_t sigblk, inh, prm, eff, bnd, amb;
  int nnp; /* -1: the kernel does not say (< 4.10) */
} task_creds;

static void parse_ids(const char *v, unsigned long out[4]) {
  char *end;
  for (int i = 0; i < 4; i++) {
    out[i] = strtoul(v, &end, 10);
    v = end;
  }
}

/* Reads /proc/self/task/<tid>/status; 0, or ENOENT/ESRCH when the thread is gone. */
static int read_task(pid_t tid, task_creds *t) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int err = n < 0 ? errno : 0;
  close(fd);
  if (n < 0) return err;
  buf[n] = '\0';
  memset(t, 0, sizeof *t);
  t->nnp = -1;
  for (char *line = buf; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = '\0';
    char *v = strchr(line, ':');
    if (v) {
      *v++ = '\0';
      if (!strcmp(line, "Uid")) parse_ids(v, t->uid);
      else if (!strcmp(line, "Gid")) parse_ids(v, t->gid);
      else if (!strcmp(line, "SigBlk")) t->sigblk = strtoull(v, NULL, 16);
      else if (!strcmp(line, "CapInh")) t->inh = strtoull(v, NULL, 16);
      else if (!strcmp(line, "CapPrm")) t->prm = strtoull(v, NULL, 16);
      else if (!strcmp(line, "CapEff")) t->eff = strtoull(v, NULL, 16);
      else if (!strcmp(line, "CapBnd")) t->bnd = strtoull(v, NULL, 16);
      else if (!strcmp(line, "CapAmb")) t->amb = strtoull(v, NULL, 16);
      else if (!strcmp(line, "NoNewPrivs")) t->nnp = (int)strtol(v, NULL, 10);
      else if (!strcmp(line, "Groups")) {
        char *end;
        for (;;) {
          unsigned long g = strtoul(v, &end, 10);
          if (end == v) break;
          if (t->ngroups >= 0 && t->ngroups < 64) t->groups[t->ngroups++] = g;
          else t->ngroups = -1;
          v = end;
        }
      }
    }
    line = next;
  }
  return 0;
}

/* Thread ids of this process, now (malloc'd, *n of them); NULL with errno on failure. */
static pid_t *list_tasks(size_t *n) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return NULL;
  size_t len = 0, cap = 32;
  pid_t *tids = malloc(cap * sizeof *tids);
  struct dirent *e;
  while (tids && (e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (len == cap) {
      pid_t *t = realloc(tids, (cap *= 2) * sizeof *tids);
      if (!t) {
        free(tids);
        tids = NULL;
        break;
      }
      tids = t;
    }
    tids[len++] = (pid_t)atoi(e->d_name);
  }
  closedir(d);
  if (!tids) errno = ENOMEM;
  *n = len;
  return tids;
}

static int sig_blocked(uint64_t mask, int sig) { return (int)((mask >> (sig - 1)) & 1); }

static void sleep_us(long us) {
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, NULL);
}

/* Runs `phase` on thread tid through signal `sig`: 0 (done, or the thread is
 * gone), EAGAIN (not answered in time: blocked), or the errno it failed with. */
static int signal_thread(pid_t tid, int sig) {
  atomic_store(&drop_ack, 0);
  atomic_store(&drop_target, tid);
  if (syscall(SYS_tgkill, getpid(), tid, sig) < 0) return errno == ESRCH ? 0 : errno;
  task_creds t;
  for (int waited = 0; waited < 1000000; waited += 50) { /* at most 1 s */
    if (atomic_load(&drop_ack) == tid) return atomic_load(&drop_ack_err);
    if (waited % 10000 == 0 && read_task(tid, &t) != 0) return 0; /* exited */
    sleep_us(50);
  }
  atomic_store(&drop_target, 0);
  return EAGAIN;
}

/* Whether a thread is in one of the two accepted end states (see the top). */
static int thread_final(const task_creds *t, int uid, int gid, const gid_t *groups, int ngroups, uint64_t keep,
                        int *kept) {
  for (int i = 0; i < 4; i++)
    if (t->uid[i] != (unsigned long)uid || t->gid[i] != (unsigned long)gid) return 0;
  if (t->ngroups != ngroups) return 0;
  for (int i = 0; i < ngroups; i++) {
    int found = 0;
    for (int j = 0; j < ngroups; j++) found |= t->groups[i] == groups[j];
    if (!found) return 0;
  }
  if (t->nnp == 0 || t->amb != 0) return 0;
  *kept = t->prm == keep && t->eff == keep && t->bnd == keep && t->inh == 0;
  return *kept || (t->prm == 0 && t->eff == 0);
}

/* Steps 1 and 3 on every thread (this one directly); 0 or an errno with *who set to the thread. */
static int broadcast(int phase, int sig, pid_t *who) {
  pid_t self = (pid_t)syscall(SYS_gettid);
  *who = self;
  int err = run_phase(phase);
  if (err) return err;
  atomic_store(&drop_phase, phase);
  size_t n;
  pid_t *tids = list_tasks(&n);
  if (!tids) {
    atomic_store(&drop_phase, DROP_IDLE);
    return errno;
  }
  for (size_t i = 0; i < n && !err; i++) {
    task_creds t;
    if (tids[i] == self || read_task(tids[i], &t) != 0) continue;
    /* A thread blocking the signal would keep it pending for ever: left to
     * the kernel rules (step 2 clears its capabilities) and to step 5. */
    if (sig_blocked(t.sigblk, sig)) continue;
    *who = tids[i];
    err = signal_thread(tids[i], sig);
    if (err == EAGAIN) err = 0; /* blocked meanwhile: step 5 decides */
  }
  free(tids);
  atomic_store(&drop_phase, DROP_IDLE);
  return err;
}

/* The first real-time signal nobody handles; 0 if none. */
static int pick_signal(void) {
  for (int s = SIGRTMIN; s <= SIGRTMAX; s++) {
    struct sigaction old;
    if (sigaction(s, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) return s;
  }
  return 0;
}

static napi_value throw_drop(napi_env env, const char *msg) {
  napi_throw_error(env, "EPERM", msg);
  return NULL;
}

/* Reads a JS array of uint32 (at most max); 0 after throwing. */
static int get_u32_array(napi_env env, napi_value v, uint32_t *out, uint32_t max, uint32_t *len) {
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array) return throw_type(env, "expected an array of numbers"), 0;
  napi_get_array_length(env, v, len);
  if (*len > max) return throw_errno(env, "dropPrivileges", E2BIG), 0;
  for (uint32_t i = 0; i < *len; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    if (!get_u32(env, e, &out[i])) return 0;
  }
  return 1;
}

static napi_value js_drop_privileges(napi_env env, napi_callback_info info) {
  ARGS(4);
  uint32_t uid, gid, ngroups, ncaps, caps[64];
  gid_t groups[64];
  uint32_t groups32[64];
  if (!get_u32(env, argv[0], &uid) || !get_u32(env, argv[1], &gid)) return NULL;
  if (!get_u32_array(env, argv[2], groups32, 64, &ngroups) || !get_u32_array(env, argv[3], caps, 64, &ncaps)) return NULL;
  /* The point is to leave root: uid/gid 0 (or -1, "unchanged" to set*id) is a caller's bug. */
  if (uid == 0 || gid == 0 || uid == UINT32_MAX || gid == UINT32_MAX) return throw_errno(env, "dropPrivileges", EINVAL);
  if (geteuid() != 0) return throw_errno(env, "dropPrivileges", EPERM);
  int last = 0;
  while (last < 63 && prctl(PR_CAPBSET_READ, (unsigned long)(last + 1), 0UL, 0UL, 0UL) >= 0) last++;
  uint64_t keep = 0;
  for (uint32_t i = 0; i < ncaps; i++) {
    if ((int)caps[i] > last) return throw_errno(env, "dropPrivileges", EINVAL);
    keep |= CAP_BIT(caps[i]);
  }
  for (uint32_t i = 0; i < ngroups; i++) groups[i] = (gid_t)groups32[i];
  int sig = pick_signal();
  if (!sig) return throw_errno(env, "dropPrivileges", EBUSY);
  drop_keep = keep;
  drop_last_cap = last;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_drop_signal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) < 0) return throw_errno(env, "sigaction", errno);

  char msg[200];
  const char *step = NULL;
  pid_t who = 0;
  int err = broadcast(DROP_PREPARE, sig, &who);
  if (err) step = "prctl (keep capabilities, bounding set)";
  /* glibc applies these three to every thread (its setxid broadcast). */
  else if (setgroups(ngroups, groups) < 0) err = errno, step = "setgroups";
  else if (setresgid(gid, gid, gid) < 0) err = errno, step = "setresgid";
  else if (setresuid(uid, uid, uid) < 0) err = errno, step = "setresuid";
  else if ((err = broadcast(DROP_FINISH, sig, &who))) step = "capset";
  if (!err) {
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {1, &allow};
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
    if (r != 0) {
      err = r < 0 ? errno : EPERM; /* r > 0: the thread that could not be synchronised */
      who = r > 0 ? (pid_t)r : who;
      step = "seccomp (no_new_privs on every thread)";
    }
  }
  /* Step 5. A thread that was starting during step 3 (pthread_create blocks
   * signals for a moment) may not be final yet: step 3 again for it, a few times. */
  size_t n = 0;
  pid_t *tids = NULL;
  uint32_t kept = 0, capless = 0;
  pid_t capless_tids[64];
  task_creds t;
  for (int round = 0; !err; round++) {
    free(tids);
    if (!(tids = list_tasks(&n))) {
      err = errno, step = "listing threads";
      break;
    }
    kept = capless = 0;
    pid_t bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
      int k;
      if (read_task(tids[i], &t) != 0) continue; /* exited */
      if (!thread_final(&t, (int)uid, (int)gid, groups, (int)ngroups, keep, &k)) bad = tids[i];
      else if (k) kept++;
      else if (capless < 64) capless_tids[capless++] = tids[i];
    }
    if (!bad) break;
    if (round == 20) {
      snprintf(msg, sizeof msg,
               "dropping privileges failed: thread %d ended with uid %lu, CapPrm %016llx, CapEff %016llx, NoNewPrivs %d",
               (int)bad, t.uid[0], (unsigned long long)t.prm, (unsigned long long)t.eff, t.nnp);
      step = msg;
      break;
    }
    atomic_store(&drop_phase, DROP_FINISH);
    if (!sig_blocked(t.sigblk, sig)) signal_thread(bad, sig);
    atomic_store(&drop_phase, DROP_IDLE);
    sleep_us(5000);
  }
  /* Pending or late deliveries are discarded from now on (POSIX: SIG_IGN discards pending signals). */
  sa.sa_handler = SIG_IGN;
  sigaction(sig, &sa, NULL);
  if (err || step == msg) {
    free(tids);
    if (err) snprintf(msg, sizeof msg, "dropping privileges failed in %s (thread %d): %s", step, (int)who, strerror(err));
    return throw_drop(env, msg);
  }
  free(tids);
  napi_value out, v, arr;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "threads", num(env, (double)(kept + capless)));
  napi_set_named_property(env, out, "kept", num(env, kept));
  napi_create_array_with_length(env, capless, &arr);
  for (uint32_t i = 0; i < capless; i++) {
    napi_create_int32(env, capless_tids[i], &v);
    napi_set_element(env, arr, i, v);
  }
  napi_set_named_property(env, out, "capless", arr);
  return out;
}

/* ---- lifetime ---------------------------------------------------------- */

/* Env teardown (worker exit, process end): close every fd and poll handle.
 * Node keeps running the loop until we remove the hook (release_cleanup_hook,
 * here or in the last uv_close callback). handle is inst->cleanup_hook. */
static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  instance *inst = arg;
  inst->tearing_down = 1;
  while (inst->socks) {
    sock *s = inst->socks;
    inst->socks = s->next;
    if (s->poll) stop_poller(s->poll);
    close_fd(s->fd, s->domain);
    free(s);
  }
  close_group(inst);
  release_cleanup_hook(inst);
}

/* Runs after the cleanup hook was removed (the hook holds a reference on the
 * env), so no poll handle is left that could point at inst. */
static void finalize_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance *inst = data;
  while (inst->socks) { /* only if teardown never ran; keep no fd behind */
    sock *s = inst->socks;
    inst->socks = s->next;
    close_fd(s->fd, s->domain);
    free(s);
  }
  free(inst->rxbuf);
  free(inst->mm);
  free(inst->grp); /* only if teardown never ran */
  free(inst);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  instance *inst = calloc(1, sizeof *inst);
  if (!inst || !(inst->rxbuf = malloc(RXBUF_SIZE))) {
    free(inst);
    napi_throw_error(env, "ENOMEM", "onlinkd_native: out of memory");
    return NULL;
  }
  inst->env = env;
  napi_get_uv_event_loop(env, &inst->loop);
  napi_set_instance_data(env, inst, finalize_instance, NULL);
  napi_add_async_cleanup_hook(env, on_env_teardown, inst, &inst->cleanup_hook);

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}
  napi_property_descriptor props[] = {
      FN("socket", js_socket),
      FN("close", js_close),
      FN("setsockoptInt", js_setsockopt_int),
      FN("getsockoptBuffer", js_getsockopt_buffer),
      FN("attachFilter", js_attach_filter),
      FN("bindPacket", js_bind_packet),
      FN("openPacketReceiver", js_open_packet_receiver),
      FN("openPacketReceivers", js_open_packet_receivers),
      FN("bindNetlink", js_bind_netlink),
      FN("bindUnix", js_bind_unix),
      FN("sendToUnix", js_send_to_unix),
      FN("sendPacket", js_send_packet),
      FN("send", js_send),
      FN("startRecv", js_start_recv),
      FN("setRecvGroup", js_set_recv_group),
      FN("startRecvGroup", js_start_recv_group),
      FN("stopRecv", js_stop_recv),
      FN("ifNameToIndex", js_if_name_to_index),
      FN("ifIndexToName", js_if_index_to_name),
      FN("dropPrivileges", js_drop_privileges),
  };
#undef FN
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
