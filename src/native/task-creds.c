/* The process's threads and their credentials, read from /proc/self/task. */
#include "task-creds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void parse_ids(const char *v, unsigned long out[4]) {
  char *end;
  for (int i = 0; i < 4; i++) {
    out[i] = strtoul(v, &end, 10);
    v = end;
  }
}

/* Reads /proc/self/task/<tid>/status; 0, or ENOENT/ESRCH when the thread is gone. */
int read_task(pid_t tid, task_creds *t) {
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
pid_t *list_tasks(size_t *n) {
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
