/*
 * onlinkd_native: a minimal, generic, non-blocking socket layer for Node.
 *
 * Why native at all: Node cannot open AF_PACKET or AF_NETLINK sockets, and
 * its dgram module cannot send AF_UNIX datagrams (sd_notify). Everything that
 * is a protocol decision -- which socket options, the BPF program, parsing of
 * frames and netlink messages -- stays in TypeScript (src/io/). The addon
 * only moves bytes and reports errno values. One exception: the setup recipe
 * of a per-tap receiving packet socket (open-receivers.c), because start-up
 * runs it on a pool thread, which cannot call into JS. And one thing that is
 * not about sockets: dropPrivileges (privileges.c), because capabilities
 * belong to each thread and only native code can reach Node's other threads.
 *
 * Files, one concern each (internal interfaces in addon.h):
 *   module.c         this: module init, the per-env instance and its teardown
 *   napi-helpers.c   errors, argument readers, calling JS
 *   sockets.c        the instance's socket registry: socket(), close()
 *   closer-pool.c    closing AF_PACKET sockets on short-lived threads
 *   socket-ops.c     setsockopt, getsockopt, BPF attach, bind, sends, ifname
 *   open-receivers.c per-tap receiving sockets, one or many on a pool thread
 *   poller.c         uv_poll per socket; startRecv's recvmsg path
 *   recv-group.c     the receive group: recvmmsg into one shared ring (ring.h)
 *   privileges.c     dropPrivileges, in every thread
 *   task-creds.c     threads and their credentials from /proc/self/task
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
 *     startRecv. The ring's layout is the addon's `ringLayout` (ring.h).
 *
 * State lives in per-env instance data (napi_set_instance_data) so the addon
 * works in several worker threads at once; uv_poll handles use the env's own
 * loop (napi_get_uv_event_loop, never uv_default_loop), and an async cleanup
 * hook (N-API 8) closes them before a worker's loop is torn down.
 */
#include <stdlib.h>

#include "addon.h"
#include "closer-pool.h"

void release_cleanup_hook(instance *inst) {
  if (inst->pending_closes == 0 && inst->tearing_down && inst->cleanup_hook) {
    napi_remove_async_cleanup_hook(inst->cleanup_hook);
    inst->cleanup_hook = NULL;
  }
}

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
  free_group(inst);
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
      FN("setsockoptBuffer", js_setsockopt_buffer),
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
      {"ringLayout", NULL, NULL, NULL, NULL, ring_layout(env), napi_enumerable, NULL},
  };
#undef FN
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
