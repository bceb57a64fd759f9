/*
 * The addon's internal interfaces: the per-env instance, its sockets and
 * their poll handles, and what each file offers the others. Which file
 * holds what is listed at the top of module.c.
 */
#ifndef ONLINKD_ADDON_H
#define ONLINKD_ADDON_H

#include <stdint.h>
#include <sys/socket.h>

#include <node_api.h>
#include <uv.h>

#include "napi-helpers.h"

/* Frames drained per wake-up: bounds the time spent before other handles
 * (timers, the control socket) get a turn; epoll is level-triggered, so
 * whatever is left wakes us again on the next loop iteration. */
#define MAX_BATCH 256
/* Large enough for a 64 KiB GSO frame or a netlink dump chunk. */
#define RXBUF_SIZE (256 * 1024)

typedef struct instance instance;
struct recv_group;
struct mmsg_scratch;

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

/* Per-env state (napi_set_instance_data): one per thread using the addon. */
struct instance {
  napi_env env;
  uv_loop_t *loop;
  sock *socks;
  int pending_closes; /* uv_close calls whose callback has not run yet */
  napi_async_cleanup_hook_handle cleanup_hook;
  int tearing_down;
  unsigned char *rxbuf;
  struct mmsg_scratch *mm; /* allocated by setRecvGroup */
  struct recv_group *grp;  /* setRecvGroup; freed when its check handle has closed */
};

static inline instance *get_inst(napi_env env) {
  void *p = NULL;
  napi_get_instance_data(env, &p);
  return p;
}

/* module.c: during env teardown, tells Node we are done once the last handle is gone. */
void release_cleanup_hook(instance *inst);

/* sockets.c: the instance's socket registry. */
sock *find_sock(instance *inst, int fd, sock ***link);
/* Makes fd one of this instance's sockets (closed by close() and at teardown); -ENOMEM (fd closed) if not. */
int register_sock(instance *inst, int fd, int domain);

/* poller.c: polling one socket on the env's loop. */
/* Starts polling fd: with callback cb (startRecv), or into the receive group (cb NULL). */
napi_value start_poller(napi_env env, int32_t fd, napi_value cb);
/* Idempotent; the caller may close the fd right after. */
void stop_poller(poller *p);
/* PACKET_AUXDATA of a received frame into *status and *tci (left alone when absent). */
void read_auxdata(struct msghdr *m, uint32_t *status, uint32_t *tci);

/* recv-group.c: the receive group and its ring. */
/* A grouped socket is readable: read what it has into the ring. */
void group_read(poller *p);
/* A grouped socket's error: what was read so far, then cb(-err, fd). */
void group_error(instance *inst, int err, int fd);
/* fd is being closed: its frames still in the ring are flagged dropped. */
void group_forget_fd(instance *inst, int fd);
/* Teardown: releases the group's JS objects and closes its check handle. */
void close_group(instance *inst);
/* Finalizer: frees what the group left (after teardown, or if it never ran). */
void free_group(instance *inst);
/* The ring layout (ring.h) as a frozen JS object: the addon's `ringLayout`. */
napi_value ring_layout(napi_env env);

/* socket-ops.c: shared with open-receivers.c. */
/* bind() of a packet socket to protocol (host order) on ifindex (0: all); -1 with errno on failure. */
int bind_ll(int fd, uint16_t protocol, int32_t ifindex);
/* Instruction count of a BPF program of n bytes; 0 unless 1..BPF_MAXINSNS whole sock_filters. */
unsigned short filter_insns(size_t n);

/* The bindings, registered by module.c. */
napi_value js_socket(napi_env env, napi_callback_info info);
napi_value js_close(napi_env env, napi_callback_info info);
napi_value js_setsockopt_int(napi_env env, napi_callback_info info);
napi_value js_setsockopt_buffer(napi_env env, napi_callback_info info);
napi_value js_getsockopt_buffer(napi_env env, napi_callback_info info);
napi_value js_attach_filter(napi_env env, napi_callback_info info);
napi_value js_bind_packet(napi_env env, napi_callback_info info);
napi_value js_bind_netlink(napi_env env, napi_callback_info info);
napi_value js_bind_unix(napi_env env, napi_callback_info info);
napi_value js_send_to_unix(napi_env env, napi_callback_info info);
napi_value js_send_packet(napi_env env, napi_callback_info info);
napi_value js_send(napi_env env, napi_callback_info info);
napi_value js_if_name_to_index(napi_env env, napi_callback_info info);
napi_value js_if_index_to_name(napi_env env, napi_callback_info info);
napi_value js_open_packet_receiver(napi_env env, napi_callback_info info);
napi_value js_open_packet_receivers(napi_env env, napi_callback_info info);
napi_value js_start_recv(napi_env env, napi_callback_info info);
napi_value js_stop_recv(napi_env env, napi_callback_info info);
napi_value js_set_recv_group(napi_env env, napi_callback_info info);
napi_value js_start_recv_group(napi_env env, napi_callback_info info);
napi_value js_drop_privileges(napi_env env, napi_callback_info info);

#endif
