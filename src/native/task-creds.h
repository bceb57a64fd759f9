/* The process's threads and their credentials, read from /proc/self/task
 * (privileges.c checks every thread after dropping privileges). */
#ifndef ONLINKD_TASK_CREDS_H
#define ONLINKD_TASK_CREDS_H

#include <stdint.h>
#include <sys/types.h>

/* What the privilege drop's check (its step 5) reads of a thread. */
typedef struct task_creds {
  unsigned long uid[4], gid[4];
  unsigned long groups[64];
  int ngroups; /* -1: more than fit */
  uint64_t sigblk, inh, prm, eff, bnd, amb;
  int nnp; /* -1: the kernel does not say (< 4.10) */
} task_creds;

/* Reads /proc/self/task/<tid>/status; 0, or ENOENT/ESRCH when the thread is gone. */
int read_task(pid_t tid, task_creds *t);
/* Thread ids of this process, now (malloc'd, *n of them); NULL with errno on failure. */
pid_t *list_tasks(size_t *n);

#endif
