// The delay line: one thread of the addon's own that holds frames the XDP
// program (bpf/delay.bpf.c) redirected into AF_XDP sockets and transmits each
// on its destination's bridge-side veth when it is due. Frames wait in a min-heap
// keyed by due time (ties keep arrival order), copied out of the umem so the
// kernel's fill ring never runs dry. Which profile (delay, jitter, duplication,
// reordering) a frame gets is read from the pair map at the moment the frame is
// taken off the RX ring; a pair healed meanwhile passes at once.
//
// Threading: the public methods are called from other threads (JS, pool);
// links, addresses and profiles reach the line thread under a mutex and an
// eventfd wake-up. The destructor stops and joins the thread, then closes every
// socket (which unmaps its rings and umem): nothing outlives the object.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "delay_profile.h"
#include "fd.h"
#include "xsk_socket.h"

namespace pk {

struct DelayLineCounters {
  uint64_t received = 0;             // frames taken off the RX rings
  uint64_t sent = 0;                 // frames the kernel completed on a TX ring
  uint64_t dropped = 0;              // frames the line lost (no room, no route, kernel RX drops)
  uint64_t duplicated = 0;           // extra copies sent (duplication)
  uint64_t held = 0;                 // frames waiting now
  uint64_t links = 0;                // sockets (one per bridge-side veth)
  uint64_t late_ns_max = 0;          // worst lateness of a transmit vs its due time
  uint64_t kernel_rx_dropped = 0;    // of `dropped`: the kernel found no free buffer (fill ring empty) or an error
  uint64_t kernel_rx_ring_full = 0;  // of `dropped`: the RX ring was full
  uint64_t late_ns_p50 = 0;          // median and p99 lateness (10 µs resolution, from a histogram)
  uint64_t late_ns_p99 = 0;
};

class DelayLine {
 public:
  // `pairs` is the mmapped pair map (max_nodes * max_nodes u64 cells), valid for the object's lifetime.
  DelayLine(uint32_t max_nodes, const uint64_t* pairs);
  ~DelayLine();
  DelayLine(const DelayLine&) = delete;
  DelayLine& operator=(const DelayLine&) = delete;

  // Hands the socket of node `node`'s bridge-side veth to the line thread.
  void AddLink(uint32_t node, std::shared_ptr<XskSocket> socket);
  // index < 0 forgets the address.
  void SetNodeAddress(uint32_t ipv4_be, int64_t index);
  void SetProfile(uint32_t id, const DelayProfile& profile);
  DelayLineCounters Counters() const;

 private:
  struct Held {
    uint64_t due_ns;
    uint64_t seq;
    uint32_t dst;
    uint32_t slot;
    uint32_t length;
  };
  struct Later {
    bool operator()(const Held& a, const Held& b) const {
      return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.seq > b.seq;
    }
  };

  void Run();
  void TakeCommands();
  void ReceiveFrom(XskSocket& socket, uint64_t now);
  void Hold(const uint8_t* data, uint32_t length, uint32_t dst, uint64_t due_ns);
  // Transmits every due frame; returns false when a TX ring was full (retry soon).
  bool TransmitDue(uint64_t now);
  void Wake();

  const uint32_t max_nodes_;
  const uint64_t* const pairs_;
  UniqueFd wake_fd_;

  mutable std::mutex mu_;  // guards the fields up to `stop_`
  std::vector<std::pair<uint32_t, std::shared_ptr<XskSocket>>> new_links_;
  std::vector<std::shared_ptr<XskSocket>> all_links_;
  std::unordered_map<uint32_t, uint32_t> node_of_address_;
  std::unordered_map<uint32_t, DelayProfile> profiles_;
  bool stop_ = false;

  // Line thread only.
  std::vector<std::shared_ptr<XskSocket>> links_;  // by node index
  std::vector<Held> heap_;
  std::vector<std::unique_ptr<uint8_t[]>> buffers_;
  std::vector<uint32_t> free_buffers_;
  uint64_t seq_ = 0;
  DelaySampler sampler_;

  std::atomic<uint64_t> received_{0}, sent_{0}, dropped_{0}, duplicated_{0}, held_{0}, late_max_{0};
  // Lateness of transmits in 10 µs buckets; the last one holds everything from 100 ms on.
  static constexpr size_t kLateBuckets = 10001;
  static constexpr uint64_t kLateBucketNs = 10000;
  std::unique_ptr<std::atomic<uint64_t>[]> late_buckets_ { new std::atomic<uint64_t>[ kLateBuckets ]() };
  std::thread thread_;
};

}  // namespace pk
