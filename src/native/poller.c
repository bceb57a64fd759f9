/*
 * Polling one socket on the env's own loop (uv_poll, never
 * uv_default_loop): startRecv's sockets (netlink, sd_notify) are drained
 * here with recvmsg and get a JS call per datagram; grouped sockets (the
 * per-tap packet sockets) hand their reads to recv-group.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "addon.h"

static void on_poll(uv_poll_t *h, int status, int events);

static void release_js(poller *p) {
  napi_env env = p->inst->env;
  if (p->callback) napi_delete_reference(env, p->callback);
  if (p->async_ctx) napi_async_destroy(env, p->async_ctx);
  p->callback = NULL;
  p->async_ctx = NULL;
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
void stop_poller(poller *p) {
  if (p->stopped) return;
  p->stopped = 1;
  p->inst->pending_closes++;
  uv_close((uv_handle_t *)&p->handle, on_poll_closed);
  if (!p->dispatching) release_js(p);
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
      group_error(p->inst, err, p->fd);
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
void read_auxdata(struct msghdr *m, uint32_t *status, uint32_t *tci) {
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

/* Up to MAX_BATCH datagrams, each copied out of the shared rxbuf into its own Buffer for cb. */
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

/* Starts polling fd: with callback cb (startRecv), or into the receive group (cb NULL). */
napi_value start_poller(napi_env env, int32_t fd, napi_value cb) {
  /* cb NULL: a grouped socket (startRecvGroup), which has no callback of its own */
  if (cb && !check_function(env, cb)) return NULL;
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

/* startRecv(fd, cb): see the callback convention at the top of module.c. */
napi_value js_start_recv(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  return start_poller(env, fd, argv[1]);
}

/* stopRecv(fd): stops polling fd (frames already read into the group ring are still delivered). */
napi_value js_stop_recv(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  sock *s = find_sock(get_inst(env), fd, NULL);
  if (!s) return throw_errno(env, "stopRecv", EBADF);
  if (s->poll) stop_poller(s->poll);
  s->poll = NULL;
  return undefined(env);
}
