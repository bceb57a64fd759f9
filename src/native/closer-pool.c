/* Closing AF_PACKET sockets off the event loop. */
#include "closer-pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

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

void track_packet_fd(int fd) {
  pthread_mutex_lock(&closer_mu);
  if (!closer_atexit) closer_atexit = atexit(closer_drain_at_exit) == 0;
  push_fd(&open_packet, &open_len, &open_cap, fd); /* on ENOMEM the kernel closes it at exit */
  pthread_mutex_unlock(&closer_mu);
}

/* Closes fd now (most sockets) or on a closer thread (AF_PACKET). Never blocks for long. */
void close_fd(int fd, int domain) {
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
