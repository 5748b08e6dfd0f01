// How late things happen, in 10 µs buckets up to 100 ms (the last bucket holds
// everything later): written by the delay line's thread, read by any thread
// (relaxed atomics; a reading may mix two moments, which is fine for figures).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace pk {

class LateHistogram {
 public:
  static constexpr size_t kBuckets = 10001;
  static constexpr uint64_t kBucketNs = 10000;

  void Add(uint64_t late_ns) {
    buckets_[std::min<uint64_t>(late_ns / kBucketNs, kBuckets - 1)].fetch_add(1, std::memory_order_relaxed);
    if (late_ns > max_.load(std::memory_order_relaxed)) max_.store(late_ns, std::memory_order_relaxed);
  }
  uint64_t max() const { return max_.load(std::memory_order_relaxed); }
  // The upper edge of the bucket holding the `percent` percentile (0 when empty).
  uint64_t Percentile(double percent) const {
    uint64_t total = 0;
    for (size_t i = 0; i < kBuckets; i++) total += buckets_[i].load(std::memory_order_relaxed);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets && total > 0; i++) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (static_cast<double>(seen) * 100 >= static_cast<double>(total) * percent) return (i + 1) * kBucketNs;
    }
    return 0;
  }

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_ { new std::atomic<uint64_t>[ kBuckets ]() };
  std::atomic<uint64_t> max_{0};
};

}  // namespace pk
