/*
 * The receive group (setRecvGroup + startRecvGroup): every grouped socket
 * of a thread reads into ONE ring, and JS is called once per event-loop
 * iteration (from a uv_check handle, after the poll phase) for all of them,
 * or earlier when the ring fills. With thousands of per-tap sockets and
 * traffic spread over them, a wake-up per socket otherwise costs a JS call
 * and a callback scope per frame. The ring's layout is in ring.h and is
 * exported to JS as `ringLayout` (ring_layout below).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "addon.h"
#include "ring.h"

/* Up to MAX_MMSG frames per recvmmsg, one ring slot per frame. */
#define MAX_MMSG 64

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

typedef struct recv_group {
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

/* One recvmmsg of up to n frames into ring slots [first, first + n) with
 * their meta rows; returns the frame count, 0 when nothing was waiting, or
 * -errno. META_FD is `tag` (the socket). */
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
    row[META_OFFSET] = (int32_t)((size_t)(first + i) * slot_size);
    row[META_LENGTH] = (int32_t)mm->msgs[i].msg_len;
    row[META_IFINDEX] = ifindex;
    row[META_PKTTYPE] = pkttype;
    row[META_TP_STATUS] = (int32_t)status;
    row[META_VLAN_TCI] = (int32_t)tci;
    row[META_FLAGS] = flags;
    row[META_FD] = tag;
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

void group_error(instance *inst, int err, int fd) {
  group_flush(inst); /* keep order: what was read, then the error */
  group_call(inst, -err, fd);
}

static void on_group_check(uv_check_t *h) {
  instance *inst = h->data;
  group_flush(inst);
  if (inst->grp && inst->grp->pending == 0 && inst->grp->check_active) {
    uv_check_stop(&inst->grp->check);
    inst->grp->check_active = 0;
  }
}

/* Reads up to MAX_BATCH frames of p into the group ring (delivering
 * whenever it fills), then leaves the rest to the check phase.
 * Level-triggered epoll brings us back for anything left. */
void group_read(poller *p) {
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
      group_error(inst, -r, p->fd);
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

void group_forget_fd(instance *inst, int fd) {
  group *g = inst->grp;
  if (!g || !g->meta) return;
  /* Its frames still in the ring must not reach whoever reuses the fd
   * (a socket merely stopped, by pause, still gets what was read). */
  for (uint32_t i = 0; i < g->pending; i++) {
    int32_t *row = g->meta + (size_t)i * META_FIELDS;
    if (row[META_FD] == fd) row[META_FLAGS] |= META_DROPPED;
  }
}

/* A receive ring (Uint8Array of whole `slot`-byte slots) and its meta rows
 * (Int32Array, META_FIELDS per frame), as setRecvGroup takes them. Returns 0 after throwing (TypeError, or EINVAL named `call`). */
static int get_ring(napi_env env, napi_value ring, napi_value meta, uint32_t slot, const char *call,
                    unsigned char **rdata, size_t *rlen, int32_t **mdata, size_t *mlen) {
  void *r, *m;
  if (!get_typedarray(env, ring, napi_uint8_array, "ring: expected a Uint8Array", &r, rlen) ||
      !get_typedarray(env, meta, napi_int32_array, "meta: expected an Int32Array", &m, mlen))
    return 0;
  if (slot < RING_SLOT_MIN || slot > RING_SLOT_MAX || *rlen / slot < 1 || *mlen / META_FIELDS < 1 ||
      *rlen > INT32_MAX)
    return throw_errno(env, call, EINVAL), 0;
  *rdata = r;
  *mdata = m;
  return 1;
}

/* setRecvGroup(ring, meta, slotSize, cb): the thread's receive group (once).
 * ring: Uint8Array of whole slots; meta: Int32Array of META_FIELDS rows
 * (ring.h). cb(count) with count > 0 frames in rows 0..count-1, or
 * cb(-errno, fd) for a socket's error. Frames are valid until cb returns. */
napi_value js_set_recv_group(napi_env env, napi_callback_info info) {
  ARGS(4);
  uint32_t slot;
  size_t rlen, mlen;
  unsigned char *rdata;
  int32_t *mdata;
  if (!get_u32(env, argv[2], &slot)) return NULL;
  if (!get_ring(env, argv[0], argv[1], slot, "setRecvGroup", &rdata, &rlen, &mdata, &mlen)) return NULL;
  if (!check_function(env, argv[3])) return NULL;
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
napi_value js_start_recv_group(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  if (!get_inst(env)->grp) return throw_errno(env, "startRecvGroup", EINVAL);
  return start_poller(env, fd, NULL);
}

static void on_group_check_closed(uv_handle_t *h) {
  instance *inst = h->data;
  free(inst->grp);
  inst->grp = NULL;
  inst->pending_closes--;
  release_cleanup_hook(inst);
}

void close_group(instance *inst) {
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

void free_group(instance *inst) {
  free(inst->mm);
  free(inst->grp); /* only if teardown never ran */
}

/* A frozen object of integer properties. */
typedef struct named_int {
  const char *name;
  int32_t value;
} named_int;

static napi_value int_object(napi_env env, const named_int *props, size_t n) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  for (size_t i = 0; i < n; i++) {
    napi_create_int32(env, props[i].value, &v);
    napi_set_named_property(env, obj, props[i].name, v);
  }
  return obj;
}

napi_value ring_layout(napi_env env) {
  static const named_int meta_fields[] = {
      {"offset", META_OFFSET},   {"length", META_LENGTH},     {"ifindex", META_IFINDEX}, {"pkttype", META_PKTTYPE},
      {"tpStatus", META_TP_STATUS}, {"vlanTci", META_VLAN_TCI}, {"flags", META_FLAGS},     {"fd", META_FD},
  };
  static const named_int layout_ints[] = {
      {"metaFields", META_FIELDS}, {"truncated", META_TRUNCATED}, {"dropped", META_DROPPED},
      {"slotMin", RING_SLOT_MIN},  {"slotMax", RING_SLOT_MAX},
  };
  napi_value meta = int_object(env, meta_fields, sizeof meta_fields / sizeof meta_fields[0]);
  napi_value layout = int_object(env, layout_ints, sizeof layout_ints / sizeof layout_ints[0]);
  napi_object_freeze(env, meta);
  napi_set_named_property(env, layout, "meta", meta);
  napi_object_freeze(env, layout);
  return layout;
}
