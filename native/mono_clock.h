// CLOCK_MONOTONIC in ns: the clock of process.hrtime.bigint(), of the delay line's due
// times and of the timer's deadlines.
#pragma once

#include <time.h>

#include <cstdint>

namespace pk {

inline uint64_t MonoNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace pk
