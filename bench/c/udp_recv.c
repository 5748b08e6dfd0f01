/*
 * Atomicity probe, receiving side. Runs inside node B's namespace. Receives
 * the datagrams of udp_send and logs, per datagram, its sequence number and
 * the CLOCK_MONOTONIC time it was read. SO_RXQ_OVFL reports how many
 * datagrams the socket dropped because its buffer was full, so the bench can
 * tell a drop by the socket from a drop by the XDP filter.
 *
 * Stops on SIGTERM/SIGINT, writes records of 2 little-endian u64 (seq,
 * arrival_ns) to <log>, and prints {"received":N,"socket_drops":M}. Prints
 * "ready" once bound.
 *
 * usage: udp_recv <port> <log>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

struct record {
  uint64_t seq;
  uint64_t arrival_ns;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: udp_recv <port> <log>\n");
    return 2;
  }
  /* No SA_RESTART: a signal must interrupt the blocking recvmsg. */
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, rcvbuf = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
    perror("udp_recv: socket/bind");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);

  size_t capacity = 1 << 20, count = 0;
  struct record *log = malloc(capacity * sizeof(*log));
  if (!log) return 1;
  uint32_t socket_drops = 0;

  while (!stopping) {
    uint64_t payload[2];
    char control[CMSG_SPACE(sizeof(uint32_t))];
    struct iovec iov = { payload, sizeof(payload) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
    ssize_t n = recvmsg(fd, &msg, 0);
    uint64_t arrival = now_ns();
    if (n < 0) {
      if (errno != EINTR) perror("udp_recv: recvmsg");
      continue;
    }
    if (n != (ssize_t)sizeof(payload)) continue;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
        memcpy(&socket_drops, CMSG_DATA(c), sizeof(socket_drops));
    if (count == capacity) {
      capacity *= 2;
      log = realloc(log, capacity * sizeof(*log));
      if (!log) return 1;
    }
    log[count++] = (struct record){ payload[0], arrival };
  }

  FILE *out = fopen(argv[2], "wb");
  if (!out || fwrite(log, sizeof(*log), count, out) != count || fclose(out) != 0) {
    perror("udp_recv: write log");
    return 1;
  }
  printf("{\"received\":%zu,\"socket_drops\":%u}\n", count, socket_drops);
  return 0;
}
