/*
 * Round trips at a steady rate the way ping measures them, for the delay
 * line's accuracy under load with no user process on the timing path.
 *
 *   icmp_rtt <ip> <rate> <seconds>    (root: a raw ICMP socket)
 *
 * Sends ICMP echo requests (our own identifier; sequence number and a
 * CLOCK_REALTIME send stamp in the payload) paced as udp_rtt paces its
 * datagrams (a few every 100 µs against absolute deadlines, a late wake-up
 * caught up), and the destination's *kernel* answers them. Both ends of each
 * round trip are kernel software timestamps: the send is the packet's TX
 * stamp (SO_TIMESTAMPING, read back from the error queue by its OPT_ID key),
 * the receive the reply's RX stamp taken when it is queued to the receiving
 * stack — so neither the prober's wake-ups nor an echo process's are in the
 * figure. A packet whose TX stamp is missing falls back to the payload's
 * stamp (counted as "tx_stamped" of "sent"). After a drain of 1 s + twice
 * the longest round trip seen it prints udp_rtt's line: {"sent":N,
 * "received":M,"p1_ns":…,"p50_ns":…,"p99_ns":…,"p999_ns":…,"max_ns":…,
 * "tx_stamped":K,"rx_unstamped":U,"send_gap_p99_ns":…} (send_gap: TX stamp −
 * payload stamp; an unstamped reply is timed when read, so U should be 0).
 * ICMP_RTT_DUMP=<file> keeps the raw round trips, send gaps and send times
 * (CLOCK_REALTIME) by sequence number (u64 ns, 0 = not answered) for digging.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
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
#define CONTROL 256

struct echo {
  struct icmphdr icmp;
  uint64_t seq;
  uint64_t sent_ns; /* CLOCK_REALTIME, the kernel stamps' clock */
};

struct prober {
  int fd;
  uint16_t id;
  uint64_t count;
  uint64_t *rx; /* reply's RX stamp by sequence number, 0 = not answered */
  uint64_t *tx; /* request's TX stamp by sequence number, 0 = none */
  uint64_t *user; /* payload stamp by sequence number */
  uint64_t rx_unstamped;
  volatile int done;
};

static uint16_t checksum(const void *data, size_t len)
{
  const uint16_t *w = data;
  uint32_t sum = 0;
  for (; len > 1; len -= 2) sum += *w++;
  if (len) sum += *(const uint8_t *)w;
  sum = (sum >> 16) + (sum & 0xffff);
  return (uint16_t)~(sum + (sum >> 16));
}

/* The software timestamp of a message's SCM_TIMESTAMPING, 0 when it has none. */
static uint64_t stamp_of(struct msghdr *m)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) return ns_of(&((struct scm_timestamping *)CMSG_DATA(c))->ts[0]);
  return 0;
}

/* Files the TX stamps waiting on the error queue under their packet's key (= sequence number). */
static void drain_tx_stamps(struct prober *p)
{
  char control[CONTROL];
  for (;;) {
    struct msghdr m = { .msg_control = control, .msg_controllen = sizeof(control) };
    if (recvmsg(p->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
    uint64_t t = stamp_of(&m);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      struct sock_extended_err *e = (void *)CMSG_DATA(c);
      if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR && e->ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
          e->ee_info == SCM_TSTAMP_SND && e->ee_data < p->count)
        p->tx[e->ee_data] = t;
    }
  }
}

static void *receive(void *arg)
{
  struct prober *p = arg;
  static char packets[BATCH][128];
  static char controls[BATCH][CONTROL];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  while (!p->done) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){ packets[i], sizeof(packets[i]) };
      msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1, .msg_control = controls[i], .msg_controllen = CONTROL };
    }
    int n = recvmmsg(p->fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    for (int i = 0; i < n; i++) {
      const struct iphdr *ip = (const void *)packets[i];
      size_t header = (size_t)ip->ihl * 4;
      const struct echo *reply = (const void *)(packets[i] + header);
      if (msgs[i].msg_len < header + sizeof(*reply) || reply->icmp.type != ICMP_ECHOREPLY || reply->icmp.un.echo.id != p->id ||
          reply->seq >= p->count)
        continue;
      uint64_t at = stamp_of(&msgs[i].msg_hdr);
      if (!at) { /* no RX stamp: the read time, later than the arrival (counted) */
        at = clock_ns(CLOCK_REALTIME);
        p->rx_unstamped++;
      }
      p->rx[reply->seq] = at;
      p->user[reply->seq] = reply->sent_ns;
    }
  }
  return NULL;
}

static int open_socket(struct prober *p, const char *ip)
{
  struct sockaddr_in to = { .sin_family = AF_INET };
  p->fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (inet_pton(AF_INET, ip, &to.sin_addr) != 1 || p->fd < 0 || connect(p->fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
    perror("icmp_rtt: socket/connect");
    return -1;
  }
  struct icmp_filter only_replies = { ~(1u << ICMP_ECHOREPLY) };
  int buf = 32 << 20; /* FORCE (root): the receiving thread may wake late; its lateness is not in the stamps */
  unsigned flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
                   SOF_TIMESTAMPING_OPT_TSONLY;
  struct timeval tick = { 0, 100000 };
  if (setsockopt(p->fd, SOL_RAW, ICMP_FILTER, &only_replies, sizeof(only_replies)) != 0 ||
      setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0 ||
      setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0 ||
      setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) != 0 ||
      setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) != 0) {
    perror("icmp_rtt: setsockopt");
    return -1;
  }
  return 0;
}

/* Sends `per_tick` echo requests every TICK_NS for `ticks` ticks, filing TX stamps as they come back. */
static void send_paced(struct prober *p, long per_tick, uint64_t ticks)
{
  static struct echo payload[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i] = (struct iovec){ &payload[i], sizeof(payload[i]) };
    msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
  }
  uint64_t start = clock_ns(CLOCK_MONOTONIC), seq = 0;
  for (uint64_t k = 0; k < ticks; k++) {
    uint64_t deadline = start + k * TICK_NS;
    struct timespec at = { (time_t)(deadline / 1000000000ull), (long)(deadline % 1000000000ull) };
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
    uint64_t t = clock_ns(CLOCK_REALTIME);
    for (long i = 0; i < per_tick; i++) {
      struct echo *e = &payload[i];
      *e = (struct echo){ .icmp = { .type = ICMP_ECHO, .un.echo = { .id = p->id, .sequence = htons((uint16_t)seq) } }, .seq = seq, .sent_ns = t };
      e->icmp.checksum = checksum(e, sizeof(*e));
      seq++;
    }
    int done = 0;
    while (done < per_tick) {
      int n = sendmmsg(p->fd, msgs + done, (unsigned)(per_tick - done), 0);
      if (n <= 0) break;
      done += n;
    }
    drain_tx_stamps(p);
  }
}

int main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: icmp_rtt <ip> <rate> <seconds>\n");
    return 2;
  }
  long rate = atol(argv[2]);
  long per_tick = rate / (long)(1000000000ull / TICK_NS);
  if (per_tick < 1 || per_tick > BATCH) {
    fprintf(stderr, "icmp_rtt: rate out of range (10,000..%d per second)\n", BATCH * 10000);
    return 2;
  }
  struct prober p = { .id = htons((uint16_t)getpid()) };
  if (open_socket(&p, argv[1]) != 0) return 1;
  uint64_t ticks = (uint64_t)(atof(argv[3]) * 1e9 / TICK_NS);
  p.count = ticks * (uint64_t)per_tick;
  p.rx = calloc(p.count, sizeof(uint64_t));
  p.tx = calloc(p.count, sizeof(uint64_t));
  p.user = calloc(p.count, sizeof(uint64_t));
  pthread_t receiver;
  pthread_create(&receiver, NULL, receive, &p);
  send_paced(&p, per_tick, ticks);
  uint64_t longest = 0;
  for (uint64_t i = 0; i < p.count; i++)
    if (p.rx[i] && p.rx[i] - p.user[i] > longest) longest = p.rx[i] - p.user[i];
  usleep((useconds_t)(1000000 + 2 * longest / 1000));
  p.done = 1;
  pthread_join(receiver, NULL);
  drain_tx_stamps(&p);

  /* Round trips (rx) and send gaps (tx), by sequence number, 0 where not answered / not stamped;
   * user becomes the send time (CLOCK_REALTIME), to line a round trip up with other traces. */
  uint64_t n = 0, stamped = 0, gaps = 0;
  for (uint64_t i = 0; i < p.count; i++) {
    uint64_t sent = p.tx[i] ? p.tx[i] : p.user[i];
    uint64_t gap = p.tx[i] && p.user[i] ? p.tx[i] - p.user[i] : 0;
    stamped += p.tx[i] != 0;
    p.rx[i] = p.rx[i] ? p.rx[i] - sent : 0;
    p.tx[i] = gap;
    p.user[i] = sent;
  }
  const char *dump = getenv("ICMP_RTT_DUMP");
  FILE *out = dump ? fopen(dump, "wb") : NULL;
  if (out) {
    fwrite(p.rx, sizeof(uint64_t), p.count, out);
    fwrite(p.tx, sizeof(uint64_t), p.count, out);
    fwrite(p.user, sizeof(uint64_t), p.count, out);
    fclose(out);
  }
  for (uint64_t i = 0; i < p.count; i++) {
    if (p.rx[i] != 0) p.rx[n++] = p.rx[i];
    if (p.tx[i] != 0) p.tx[gaps++] = p.tx[i];
  }
  qsort(p.rx, n, sizeof(uint64_t), by_value);
  qsort(p.tx, gaps, sizeof(uint64_t), by_value);
#define AT(a, len, q) ((len) ? (a)[(uint64_t)((double)((len) - 1) * (q))] : 0)
  printf("{\"sent\":%lu,\"received\":%lu,\"p1_ns\":%lu,\"p50_ns\":%lu,\"p99_ns\":%lu,\"p999_ns\":%lu,\"max_ns\":%lu,\"tx_stamped\":%lu,"
         "\"rx_unstamped\":%lu,\"send_gap_p99_ns\":%lu}\n",
         (unsigned long)p.count, (unsigned long)n, (unsigned long)AT(p.rx, n, 0.01), (unsigned long)AT(p.rx, n, 0.5),
         (unsigned long)AT(p.rx, n, 0.99), (unsigned long)AT(p.rx, n, 0.999), (unsigned long)AT(p.rx, n, 1.0), (unsigned long)stamped,
         (unsigned long)p.rx_unstamped, (unsigned long)AT(p.tx, gaps, 0.99));
  return 0;
}
