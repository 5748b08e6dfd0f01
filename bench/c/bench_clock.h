/* Clocks and sorting shared by the bench's C helpers. */
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t ns_of(const struct timespec *ts) { return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec; }

static inline uint64_t clock_ns(clockid_t clock)
{
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ns_of(&ts);
}

/* CLOCK_MONOTONIC, the clock of process.hrtime.bigint(). */
static inline uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* qsort comparator for uint64_t. */
static inline int by_value(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
