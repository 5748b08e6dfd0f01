// One AF_XDP ring as this process sees it after mmap: a power-of-two array of
// entries and two free-running u32 indexes shared with the kernel. The kernel
// produces into RX and completion rings and consumes from fill and TX rings;
// this side does the opposite. Where each piece sits in the mapping comes from
// the socket (getsockopt XDP_MMAP_OFFSETS), never from guesses.
//
// Ordering: the side that produces writes entries, then publishes the new
// producer index with release semantics; the side that consumes reads the
// producer index with acquire semantics before reading entries, and publishes
// its consumer index with release semantics once it is done with them. Local
// copies of both indexes keep the shared cache lines out of the hot loop.
#pragma once

#include <linux/if_xdp.h>

#include <cstdint>

namespace pk {

template <typename Entry>
class XskRing {
 public:
  XskRing() = default;
  // `map` is the ring's mapping, laid out as `offsets` says; `size` entries (a power of two).
  void Attach(void* map, const xdp_ring_offset& offsets, uint32_t size) {
    auto* base = static_cast<uint8_t*>(map);
    producer_ = reinterpret_cast<uint32_t*>(base + offsets.producer);
    consumer_ = reinterpret_cast<uint32_t*>(base + offsets.consumer);
    entries_ = reinterpret_cast<Entry*>(base + offsets.desc);
    mask_ = size - 1;
    size_ = size;
    cached_producer_ = Load(producer_);
    cached_consumer_ = Load(consumer_);
  }
  uint32_t size() const { return size_; }

  // ---- this side produces (fill, TX) ----
  // Room for up to `wanted` entries; returns how many can be written from Slot(0).
  uint32_t Reserve(uint32_t wanted) {
    uint32_t free = size_ - (cached_producer_ - cached_consumer_);
    if (free < wanted) {
      cached_consumer_ = Load(consumer_);
      free = size_ - (cached_producer_ - cached_consumer_);
    }
    return free < wanted ? free : wanted;
  }
  Entry& Slot(uint32_t i) { return entries_[(cached_producer_ + i) & mask_]; }
  void Submit(uint32_t count) {
    cached_producer_ += count;
    Store(producer_, cached_producer_);
  }
  // Entries written but not yet taken by the kernel.
  uint32_t Outstanding() {
    cached_consumer_ = Load(consumer_);
    return cached_producer_ - cached_consumer_;
  }

  // ---- the kernel produces (RX, completion) ----
  // Entries ready to read, at most `max`, from Entry(0).
  uint32_t Peek(uint32_t max) {
    uint32_t ready = cached_producer_ - cached_consumer_;
    if (ready == 0) {
      cached_producer_ = Load(producer_);
      ready = cached_producer_ - cached_consumer_;
    }
    return ready < max ? ready : max;
  }
  const Entry& At(uint32_t i) const { return entries_[(cached_consumer_ + i) & mask_]; }
  void Release(uint32_t count) {
    cached_consumer_ += count;
    Store(consumer_, cached_consumer_);
  }

 private:
  static uint32_t Load(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
  static void Store(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

  uint32_t* producer_ = nullptr;
  uint32_t* consumer_ = nullptr;
  Entry* entries_ = nullptr;
  uint32_t mask_ = 0;
  uint32_t size_ = 0;
  uint32_t cached_producer_ = 0;
  uint32_t cached_consumer_ = 0;
};

}  // namespace pk
