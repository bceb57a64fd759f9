/*
 * The instance's socket registry: every fd the addon opened, so close()
 * can only close our own descriptors and env teardown can close them all.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "addon.h"
#include "closer-pool.h"

sock *find_sock(instance *inst, int fd, sock ***link) {
  for (sock **pp = &inst->socks; *pp; pp = &(*pp)->next) {
    if ((*pp)->fd == fd) {
      if (link) *link = pp;
      return *pp;
    }
  }
  return NULL;
}

int register_sock(instance *inst, int fd, int domain) {
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
napi_value js_socket(napi_env env, napi_callback_info info) {
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

/* close(fd): only fds opened by socket() here, so a stray number can never
 * close stdin or one of Node's own descriptors. */
napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  instance *inst = get_inst(env);
  sock **link;
  sock *s = find_sock(inst, fd, &link);
  if (!s) return throw_errno(env, "close", EBADF);
  *link = s->next;
  if (s->poll) stop_poller(s->poll); /* before close(): see stop_poller */
  group_forget_fd(inst, fd);
  close_fd(fd, s->domain);
  free(s);
  return undefined(env);
}
