// The delay line: one thread of the addon's own that holds frames the XDP
// program (bpf/delay.bpf.c) redirected into AF_XDP sockets and transmits each
// on its destination's bridge-side veth when it is due. Frames wait in a min-heap
// keyed by due time (ties keep arrival order), copied out of the umem so the
// kernel's fill ring never runs dry. A frame is due its delay after it entered
// the veth (the program's timestamp), not after the thread got to it.
//
// Timing: the thread runs SCHED_FIFO at the lowest real-time priority (a normal
// thread waits milliseconds for a core on a busy host) and sleeps until a little
// before the next due time — by as much as its wake-ups have recently overslept,
// at most kMaxEarlyNs — then spins until the frame is due. So a transmit is late
// by about what the timer is late beyond that, not by the whole wake-up latency. Which profile (delay, jitter,
// duplication, reordering) a frame gets is read from the pair map at the moment the frame is taken off the RX ring; a
// pair healed meanwhile passes at once.
//
// Threading: the public methods are called from other threads (JS, pool);
// links, addresses and profiles reach the line thread under a mutex and an
// eventfd wake-up. The destructor stops and joins the thread, then closes every
// socket (which unmaps its rings and umem): nothing outlives the object.
#pragma once

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "delay_profile.h"
#include "fd.h"
#include "late_histogram.h"
#include "xsk_socket.h"

namespace pk {

struct DelayLineCounters {
  uint64_t received = 0;             // frames taken off the RX rings
  uint64_t sent = 0;                 // frames the kernel took off a TX ring (copy mode: transmitted)
  uint64_t dropped = 0;              // frames the line lost (no room, no route, kernel RX drops)
  uint64_t duplicated = 0;           // extra copies sent (duplication)
  uint64_t held = 0;                 // frames waiting now
  uint64_t links = 0;                // sockets (one per bridge-side veth)
  uint64_t late_ns_max = 0;          // worst lateness of a transmit vs its due time
  uint64_t kernel_rx_dropped = 0;    // of `dropped`: the kernel found no free buffer (fill ring empty) or an error
  uint64_t kernel_rx_ring_full = 0;  // of `dropped`: the RX ring was full
  uint64_t late_ns_p50 = 0;          // median and p99 lateness (10 µs resolution, from a histogram)
  uint64_t late_ns_p99 = 0;
  uint64_t pickup_ns_p50 = 0;  // from a frame's arrival on the veth to the line taking it (same resolution)
  uint64_t pickup_ns_p99 = 0;
  uint64_t unstamped = 0;  // frames without the program's arrival time (timed from pickup instead)
  bool realtime = false;   // the thread got SCHED_FIFO
  int realtime_error = 0;  // else why not (errno of pthread_setschedparam)
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
  void SetRealtime();
  // Applies links handed over by AddLink; false when the line is stopping.
  bool TakeCommands();
  // Sleeps until `target_ns`, a command or a frame on an RX ring; learns how late
  // timed wake-ups are.
  void Sleep(uint64_t target_ns);
  // Waits without sleeping until `until_ns` (or a command).
  void Spin(uint64_t until_ns);
  void ReceiveFrom(XskSocket& socket);
  void Hold(const uint8_t* data, uint32_t length, uint32_t dst, uint64_t due_ns);
  // Transmits every due frame; returns false when a TX ring was full (retry soon).
  bool TransmitDue(uint64_t now);
  void Wake();

  const uint32_t max_nodes_;
  const uint64_t* const pairs_;
  UniqueFd wake_fd_;
  std::atomic<bool> commands_{false};  // set with every Wake(), so a spinning thread sees it without a syscall

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
  std::vector<pollfd> fds_;  // [0] = wake_fd_, then one per socket in polled_
  std::vector<XskSocket*> polled_;
  uint64_t early_ns_;  // how long before a due time the thread wakes (learnt)

  std::atomic<uint64_t> received_{0}, sent_{0}, dropped_{0}, duplicated_{0}, held_{0}, unstamped_{0};
  std::atomic<bool> realtime_{false};
  std::atomic<int> realtime_error_{0};
  LateHistogram late_;    // transmit − due
  LateHistogram pickup_;  // taken off the RX ring − arrival on the veth
  std::thread thread_;
};

}  // namespace pk
