/*
 * Atomicity probe, sending side. Runs inside node A's namespace (started with
 * `ip netns exec`). Sends one UDP datagram per interval to <ip>:<port>; each
 * carries its sequence number and the CLOCK_MONOTONIC time just before
 * send(). The time just after send() returns is logged too: the bench only
 * judges packets whose whole [before, after] send interval lies inside a
 * window, so a preemption between stamping and sending cannot misclassify.
 * CLOCK_MONOTONIC is system-wide, and Node's process.hrtime.bigint() reads the
 * same clock, so these times compare directly with the bench's.
 *
 * Stops on SIGTERM/SIGINT, then writes the log: records of 3 little-endian
 * u64 (seq, before_ns, after_ns) to <log>. Prints "ready" once the first
 * datagram went out.
 *
 * usage: udp_send <ip> <port> <interval_us> <log>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

struct record {
  uint64_t seq;
  uint64_t before_ns;
  uint64_t after_ns;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv)
{
  if (argc != 5) {
    fprintf(stderr, "usage: udp_send <ip> <port> <interval_us> <log>\n");
    return 2;
  }
  long interval_ns = atol(argv[3]) * 1000;
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
    fprintf(stderr, "udp_send: bad address %s\n", argv[1]);
    return 2;
  }
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* Default timer slack (50 us) would stretch every sleep; the pacing wants ~interval. */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
    perror("udp_send: socket/connect");
    return 1;
  }
  size_t capacity = 1 << 20, count = 0;
  struct record *log = malloc(capacity * sizeof(*log));
  if (!log) return 1;

  uint64_t seq = 0;
  int announced = 0;
  while (!stopping) {
    uint64_t payload[2];
    uint64_t before = now_ns();
    payload[0] = seq;
    payload[1] = before;
    ssize_t sent = send(fd, payload, sizeof(payload), 0);
    uint64_t after = now_ns();
    if (sent == (ssize_t)sizeof(payload)) {
      if (count == capacity) {
        capacity *= 2;
        log = realloc(log, capacity * sizeof(*log));
        if (!log) return 1;
      }
      log[count++] = (struct record){ seq, before, after };
      seq++;
      if (!announced) {
        printf("ready\n");
        fflush(stdout);
        announced = 1;
      }
    } else if (errno != EINTR && errno != ECONNREFUSED) {
      perror("udp_send: send");
    }
    struct timespec pause = { 0, interval_ns };
    nanosleep(&pause, NULL);
  }

  FILE *out = fopen(argv[4], "wb");
  if (!out || fwrite(log, sizeof(*log), count, out) != count || fclose(out) != 0) {
    perror("udp_send: write log");
    return 1;
  }
  return 0;
}
