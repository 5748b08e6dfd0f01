/*
 * Round trips at a steady rate, for the delay line's accuracy under load.
 *
 *   udp_rtt echo <port>                          sends every datagram back (prints "ready")
 *   udp_rtt probe <ip> <port> <rate> <seconds>   stamped datagrams at <rate>/s to an echo
 *
 * The prober paces its datagrams evenly (a few every 100 µs, against absolute
 * CLOCK_MONOTONIC deadlines, so a late wake-up is caught up), receives the
 * echoes on a second thread, and after a drain of 1 s + the longest round trip
 * seen prints {"sent":N,"received":M,"p1_ns":…,"p50_ns":…,"p99_ns":…,
 * "p999_ns":…,"max_ns":…} over the round trips of the datagrams answered.
 * C rather than the JS agents: their event loops add milliseconds of their own
 * to the tail at this rate, which would hide the line's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define BATCH 64
#define TICK_NS 100000ull

static int echo(int port)
{
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  if (fd < 0 || bind(fd, (struct sockaddr *)&at, sizeof(at)) != 0) {
    perror("udp_rtt echo: bind");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  static uint64_t payload[BATCH][3];
  static struct sockaddr_in from[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){ payload[i], sizeof(payload[i]) };
      msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]), .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    uint64_t t = now_ns();
    for (int i = 0; i < n; i++) {
      iov[i].iov_len = msgs[i].msg_len;
      payload[i][2] = t; /* when the echo read it: splits the round trip into its two legs */
    }
    sendmmsg(fd, msgs, (unsigned)n, 0);
  }
}

struct probe {
  int fd;
  uint64_t *rtt; /* by sequence number, 0 = not answered */
  uint64_t *there; /* the leg out, by sequence number */
  uint64_t count;
  volatile int done;
};

/* Points each message of a batch at its own payload slot. */
static void point_batch(uint64_t payload[BATCH][3], struct iovec iov[BATCH], struct mmsghdr msgs[BATCH])
{
  for (int i = 0; i < BATCH; i++) {
    iov[i] = (struct iovec){ payload[i], sizeof(payload[i]) };
    msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
  }
}

static void *receive(void *arg)
{
  struct probe *p = arg;
  static uint64_t payload[BATCH][3];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  point_batch(payload, iov, msgs);
  while (!p->done) {
    int n = recvmmsg(p->fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    uint64_t t = now_ns();
    for (int i = 0; i < n; i++)
      if (msgs[i].msg_len == sizeof(payload[i]) && payload[i][0] < p->count) {
        p->rtt[payload[i][0]] = t - payload[i][1];
        p->there[payload[i][0]] = payload[i][2] - payload[i][1];
      }
  }
  return NULL;
}

static int probe(const char *ip, int port, long rate, double seconds)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  long per_tick = rate / (long)(1000000000ull / TICK_NS);
  if (inet_pton(AF_INET, ip, &to.sin_addr) != 1 || per_tick < 1 || per_tick > BATCH) {
    fprintf(stderr, "udp_rtt probe: bad address or rate (10,000..%d per second)\n", BATCH * 10000);
    return 2;
  }
  struct probe p = { .fd = socket(AF_INET, SOCK_DGRAM, 0) };
  int buf = 8 << 20;
  setsockopt(p.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  setsockopt(p.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  struct timeval tick = { 0, 100000 };
  setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
  if (p.fd < 0 || connect(p.fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
    perror("udp_rtt probe: socket/connect");
    return 1;
  }
  uint64_t ticks = (uint64_t)(seconds * 1e9 / TICK_NS);
  p.count = ticks * (uint64_t)per_tick;
  p.rtt = calloc(p.count, sizeof(uint64_t));
  p.there = calloc(p.count, sizeof(uint64_t));
  pthread_t receiver;
  pthread_create(&receiver, NULL, receive, &p);
  static uint64_t payload[BATCH][3];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  point_batch(payload, iov, msgs);
  uint64_t start = now_ns(), seq = 0;
  for (uint64_t k = 0; k < ticks; k++) {
    uint64_t deadline = start + k * TICK_NS;
    struct timespec at = { (time_t)(deadline / 1000000000ull), (long)(deadline % 1000000000ull) };
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
    uint64_t t = now_ns();
    for (long i = 0; i < per_tick; i++) {
      payload[i][0] = seq++;
      payload[i][1] = t;
    }
    int done = 0;
    while (done < per_tick) {
      int n = sendmmsg(p.fd, msgs + done, (unsigned)(per_tick - done), 0);
      if (n <= 0) break;
      done += n;
    }
  }
  uint64_t longest = 0;
  for (uint64_t i = 0; i < p.count; i++) longest = p.rtt[i] > longest ? p.rtt[i] : longest;
  usleep((useconds_t)(1000000 + 2 * longest / 1000));
  p.done = 1;
  pthread_join(receiver, NULL);
  const char *dump = getenv("UDP_RTT_DUMP"); /* raw round trips by sequence number (u64 ns, 0 = lost), for digging */
  FILE *out = dump ? fopen(dump, "wb") : NULL;
  if (out) {
    fwrite(p.rtt, sizeof(uint64_t), p.count, out);
    fwrite(p.there, sizeof(uint64_t), p.count, out);
    fclose(out);
  }
  uint64_t n = 0;
  for (uint64_t i = 0; i < p.count; i++)
    if (p.rtt[i] != 0) p.rtt[n++] = p.rtt[i];
  qsort(p.rtt, n, sizeof(uint64_t), by_value);
#define AT(q) (n ? p.rtt[(uint64_t)((double)(n - 1) * (q))] : 0)
  printf("{\"sent\":%lu,\"received\":%lu,\"p1_ns\":%lu,\"p50_ns\":%lu,\"p99_ns\":%lu,\"p999_ns\":%lu,\"max_ns\":%lu}\n",
         (unsigned long)p.count, (unsigned long)n, (unsigned long)AT(0.01), (unsigned long)AT(0.5), (unsigned long)AT(0.99),
         (unsigned long)AT(0.999), (unsigned long)AT(1.0));
  return 0;
}

int main(int argc, char **argv)
{
  signal(SIGPIPE, SIG_IGN);
  if (argc == 3 && strcmp(argv[1], "echo") == 0) return echo(atoi(argv[2]));
  if (argc == 6 && strcmp(argv[1], "probe") == 0) return probe(argv[2], atoi(argv[3]), atol(argv[4]), atof(argv[5]));
  fprintf(stderr, "usage: udp_rtt echo <port> | udp_rtt probe <ip> <port> <rate> <seconds>\n");
  return 2;
}
