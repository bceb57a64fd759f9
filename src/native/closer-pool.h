/* Closing AF_PACKET sockets off the event loop (see closer-pool.c). Thread-safe. */
#ifndef ONLINKD_CLOSER_POOL_H
#define ONLINKD_CLOSER_POOL_H

/* A packet fd is open: closed in parallel at process exit if still open then. */
void track_packet_fd(int fd);
/* Closes fd now (most sockets) or on a closer thread (AF_PACKET). Never blocks for long. */
void close_fd(int fd, int domain);

#endif
