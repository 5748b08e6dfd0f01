/*
 * Delay-line throughput probe, sending side. Runs inside node A's namespace
 * (started with `ip netns exec`). Sends `rate` small UDP datagrams per second
 * to <ip>:<port> for <seconds>, in batches of rate/1000 every millisecond
 * (sendmmsg), paced against absolute CLOCK_MONOTONIC deadlines so a late wake-up
 * is caught up rather than lost: the offered rate is the asked one even on a
 * busy machine. Each datagram carries its sequence number and send time, as
 * udp_send's do, so udp_recv can log it. Prints {"sent":N,"seconds":S}.
 *
 * usage: udp_flood <ip> <port> <rate_pps> <seconds>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench_clock.h"

#define MAX_BATCH 1024

int main(int argc, char **argv)
{
  if (argc != 5) {
    fprintf(stderr, "usage: udp_flood <ip> <port> <rate_pps> <seconds>\n");
    return 2;
  }
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
    fprintf(stderr, "udp_flood: bad address %s\n", argv[1]);
    return 2;
  }
  long rate = atol(argv[3]);
  double seconds = atof(argv[4]);
  int batch = (int)(rate / 1000);
  if (batch < 1 || batch > MAX_BATCH) {
    fprintf(stderr, "udp_flood: rate must be 1000..%d per second\n", MAX_BATCH * 1000);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
    perror("udp_flood: socket/connect");
    return 1;
  }
  static uint64_t payload[MAX_BATCH][2];
  static struct iovec iov[MAX_BATCH];
  static struct mmsghdr msgs[MAX_BATCH];
  for (int i = 0; i < MAX_BATCH; i++) {
    iov[i] = (struct iovec){ payload[i], sizeof(payload[i]) };
    msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
  }
  uint64_t start = now_ns();
  uint64_t ticks = (uint64_t)(seconds * 1000);
  uint64_t seq = 0, sent = 0;
  for (uint64_t tick = 0; tick < ticks; tick++) {
    uint64_t deadline = start + tick * 1000000ull;
    struct timespec at = { (time_t)(deadline / 1000000000ull), (long)(deadline % 1000000000ull) };
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
    uint64_t t = now_ns();
    for (int i = 0; i < batch; i++) {
      payload[i][0] = seq++;
      payload[i][1] = t;
    }
    int done = 0;
    while (done < batch) {
      int n = sendmmsg(fd, msgs + done, (unsigned)(batch - done), 0);
      if (n <= 0) break;
      done += n;
    }
    sent += (uint64_t)done;
  }
  printf("{\"sent\":%llu,\"seconds\":%.3f}\n", (unsigned long long)sent, (now_ns() - start) / 1e9);
  return 0;
}
