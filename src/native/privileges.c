/*
 * The privilege drop (dropPrivileges; src/runtime/privileges.ts decides to
 * whom). Not about sockets, but native because capabilities belong to each
 * thread and only native code can reach Node's other threads.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "addon.h"
#include "task-creds.h"

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

napi_value js_drop_privileges(napi_env env, napi_callback_info info) {
  ARGS(4);
  uint32_t uid, gid, ngroups, ncaps, caps[64];
  gid_t groups[64];
  uint32_t groups32[64];
  if (!get_u32(env, argv[0], &uid) || !get_u32(env, argv[1], &gid)) return NULL;
  if (!get_u32_array(env, argv[2], groups32, 64, &ngroups, "dropPrivileges") ||
      !get_u32_array(env, argv[3], caps, 64, &ncaps, "dropPrivileges"))
    return NULL;
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
