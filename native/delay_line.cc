// See delay_line.h.
#include "delay_line.h"

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "../bpf/pakostii_delay.h"
#include "errors.h"
#include "mono_clock.h"

namespace pk {
namespace {

// Frames the line holds at most (× 2 KiB of memory); past it, new frames are dropped and counted.
constexpr uint32_t kMaxHeld = 1u << 17;
// Frames taken off one RX ring per wake-up before timers get a look.
constexpr uint32_t kRxBatch = 256;
constexpr uint32_t kEthHeader = 14;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
// Waking early: starts here, follows recent oversleeps (a sample counts at most
// kMaxSampleNs, so one stall does not keep the thread spinning), never beyond
// kMaxEarlyNs (the spin a due time may cost: a few % of a core at 20,000 frames/s).
constexpr uint64_t kInitialEarlyNs = 50000;
constexpr uint64_t kMaxSampleNs = 200000;
constexpr uint64_t kMaxEarlyNs = 100000;
// A TX ring that was full, or frames not yet kicked: look again this soon.
constexpr uint64_t kRetryNs = 20000;
constexpr uint64_t kForever = ~0ull;

// The arrival time the program put in front of the frame, or 0 (and the stamp is
// cleared, so a recycled buffer never shows a stale one).
uint64_t TakeArrival(uint8_t* frame, uint32_t headroom) {
  if (headroom < sizeof(pk_delay_meta)) return 0;
  pk_delay_meta meta;
  std::memcpy(&meta, frame - sizeof(meta), sizeof(meta));
  if (meta.magic != PK_DELAY_META_MAGIC) return 0;
  uint32_t zero = 0;
  std::memcpy(frame - sizeof(meta) + offsetof(pk_delay_meta, magic), &zero, sizeof(zero));
  return meta.arrival_ns;
}

}  // namespace

DelayLine::DelayLine(uint32_t max_nodes, const uint64_t* pairs)
    : max_nodes_(max_nodes), pairs_(pairs), sampler_(MonoNowNs()), early_ns_(kInitialEarlyNs) {
  wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd_) ThrowErrno("delay line eventfd", "delay line");
  links_.resize(max_nodes);
  // The hot path does not allocate: the heap and the free list have their full size now.
  heap_.reserve(kMaxHeld + 1);
  free_buffers_.reserve(kMaxHeld);
  buffers_.reserve(kMaxHeld);
  thread_ = std::thread([this] { Run(); });
}

DelayLine::~DelayLine() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
}

void DelayLine::Wake() {
  commands_.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_.get(), &one, sizeof(one));
  (void)ignored;
}

void DelayLine::AddLink(uint32_t node, std::shared_ptr<XskSocket> socket) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    all_links_.push_back(socket);
    new_links_.emplace_back(node, std::move(socket));
  }
  Wake();
}

void DelayLine::SetNodeAddress(uint32_t ipv4_be, int64_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index < 0)
    node_of_address_.erase(ipv4_be);
  else
    node_of_address_[ipv4_be] = static_cast<uint32_t>(index);
}

void DelayLine::SetProfile(uint32_t id, const DelayProfile& profile) {
  std::lock_guard<std::mutex> lock(mu_);
  profiles_[id] = profile;
}

DelayLineCounters DelayLine::Counters() const {
  DelayLineCounters c;
  c.received = received_.load(std::memory_order_relaxed);
  c.sent = sent_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.duplicated = duplicated_.load(std::memory_order_relaxed);
  c.held = held_.load(std::memory_order_relaxed);
  c.unstamped = unstamped_.load(std::memory_order_relaxed);
  c.late_ns_max = late_.max();
  c.late_ns_p50 = late_.Percentile(50);
  c.late_ns_p99 = late_.Percentile(99);
  c.pickup_ns_p50 = pickup_.Percentile(50);
  c.pickup_ns_p99 = pickup_.Percentile(99);
  c.realtime = realtime_.load(std::memory_order_relaxed);
  c.realtime_error = realtime_error_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  c.links = all_links_.size();
  // Frames the kernel could not put on an RX ring are the line's losses too.
  for (const auto& link : all_links_) {
    xdp_statistics s = link->Statistics();
    c.dropped += s.rx_dropped + s.rx_ring_full + s.rx_invalid_descs + s.tx_invalid_descs;
    c.kernel_rx_dropped += s.rx_dropped;
    c.kernel_rx_ring_full += s.rx_ring_full;
  }
  return c;
}

bool DelayLine::TakeCommands() {
  commands_.store(false, std::memory_order_relaxed);
  uint64_t count;
  ssize_t ignored = read(wake_fd_.get(), &count, sizeof(count));
  (void)ignored;
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return false;
  for (auto& link : new_links_)
    if (link.first < max_nodes_) links_[link.first] = std::move(link.second);
  new_links_.clear();
  fds_.assign(1, pollfd{wake_fd_.get(), POLLIN, 0});
  polled_.clear();
  for (auto& link : links_) {
    if (!link || std::find(polled_.begin(), polled_.end(), link.get()) != polled_.end()) continue;
    fds_.push_back(pollfd{link->fd(), POLLIN, 0});
    polled_.push_back(link.get());
  }
  return true;
}

void DelayLine::Hold(const uint8_t* data, uint32_t length, uint32_t dst, uint64_t due_ns) {
  if (heap_.size() >= kMaxHeld || length > XskSocket::kFrameSize) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  uint32_t slot;
  if (free_buffers_.empty()) {
    slot = static_cast<uint32_t>(buffers_.size());
    buffers_.emplace_back(new uint8_t[XskSocket::kFrameSize]);  // only while the line grows to its peak
  } else {
    slot = free_buffers_.back();
    free_buffers_.pop_back();
  }
  std::memcpy(buffers_[slot].get(), data, length);
  heap_.push_back(Held{due_ns, seq_++, dst, slot, length});
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

void DelayLine::ReceiveFrom(XskSocket& socket) {
  if (!socket.Readable()) return;
  std::unique_lock<std::mutex> lock(mu_);  // addresses and profiles, once per batch
  uint64_t now = MonoNowNs();
  socket.Receive(kRxBatch, [&](uint8_t* frame, uint32_t length, uint32_t headroom) {
    received_.fetch_add(1, std::memory_order_relaxed);
    uint64_t arrival = TakeArrival(frame, headroom);
    if (arrival == 0 || arrival > now) {
      unstamped_.fetch_add(arrival == 0 ? 1 : 0, std::memory_order_relaxed);
      arrival = now;
    }
    pickup_.Add(now - arrival);
    uint32_t dst = max_nodes_;
    uint32_t src = max_nodes_;
    if (length >= kEthHeader + 20 && (frame[12] << 8 | frame[13]) == kEtherTypeIpv4) {
      uint32_t saddr, daddr;
      std::memcpy(&saddr, frame + kEthHeader + 12, 4);
      std::memcpy(&daddr, frame + kEthHeader + 16, 4);
      auto s = node_of_address_.find(saddr);
      auto d = node_of_address_.find(daddr);
      if (s != node_of_address_.end()) src = s->second;
      if (d != node_of_address_.end()) dst = d->second;
    }
    if (src >= max_nodes_ || dst >= max_nodes_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);  // the program only redirects known pairs
      return;
    }
    uint64_t id = __atomic_load_n(&pairs_[static_cast<size_t>(src) * max_nodes_ + dst], __ATOMIC_RELAXED);
    auto profile = id == 0 ? profiles_.end() : profiles_.find(static_cast<uint32_t>(id));
    if (profile == profiles_.end()) {
      Hold(frame, length, dst, now);  // healed since the program judged it: no delay
      return;
    }
    Hold(frame, length, dst, arrival + sampler_.Draw(profile->second));
    if (sampler_.Chance(profile->second.duplicate)) {
      duplicated_.fetch_add(1, std::memory_order_relaxed);
      Hold(frame, length, dst, arrival + sampler_.Draw(profile->second));
    }
  });
}

bool DelayLine::TransmitDue(uint64_t now) {
  bool blocked = false;
  while (!heap_.empty() && heap_.front().due_ns <= now) {
    const Held& next = heap_.front();
    XskSocket* out = links_[next.dst].get();
    if (out == nullptr) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
    } else if (!out->Send(buffers_[next.slot].get(), next.length)) {
      sent_.fetch_add(out->Flush(), std::memory_order_relaxed);  // make room, then try once more
      if (!out->Send(buffers_[next.slot].get(), next.length)) {
        blocked = true;
        break;
      }
    }
    late_.Add(now - next.due_ns);
    free_buffers_.push_back(next.slot);
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
  }
  // One kick per socket for the whole batch.
  for (XskSocket* link : polled_)
    if (link->unkicked() > 0) sent_.fetch_add(link->Flush(), std::memory_order_relaxed);
  held_.store(heap_.size(), std::memory_order_relaxed);
  return !blocked;
}

void DelayLine::SetRealtime() {
  // The lowest real-time priority: on a busy host a normal thread waits for a core for
  // milliseconds, which would be added to every delay. The thread sleeps between frames,
  // so it takes little from others. Without CAP_SYS_NICE (or with no real-time budget
  // in its cgroup) it stays a normal thread and counters() says why.
  sched_param priority = {};
  priority.sched_priority = sched_get_priority_min(SCHED_FIFO);
  int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &priority);
  realtime_error_.store(err, std::memory_order_relaxed);
  realtime_.store(err == 0, std::memory_order_relaxed);
}

void DelayLine::Sleep(uint64_t target_ns) {
  timespec timeout;
  timespec* wait = nullptr;
  uint64_t now = MonoNowNs();
  if (target_ns != kForever) {
    uint64_t in = target_ns > now ? target_ns - now : 0;
    timeout = {static_cast<time_t>(in / 1000000000ull), static_cast<long>(in % 1000000000ull)};
    wait = &timeout;
  }
  int ready = ppoll(fds_.data(), fds_.size(), wait, nullptr);
  if (ready == 0 && target_ns != kForever) {
    // A timed wake-up: move the early margin an eighth of the way to this oversleep.
    uint64_t woke = MonoNowNs();
    uint64_t over = std::min(woke > target_ns ? woke - target_ns : 0, kMaxSampleNs);
    early_ns_ = std::min(kMaxEarlyNs, early_ns_ - early_ns_ / 8 + over / 8);
  }
}

void DelayLine::Spin(uint64_t until_ns) {
  while (!commands_.load(std::memory_order_acquire) && MonoNowNs() < until_ns) {
  }
}

void DelayLine::Run() {
  // Timers of this thread fire when asked, not up to 50 µs later (the default slack of normal threads).
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  pthread_setname_np(pthread_self(), "pk-delay-line");  // how tests and people find it
  SetRealtime();
  commands_.store(true);
  for (;;) {
    if (commands_.load(std::memory_order_acquire) && !TakeCommands()) break;
    for (XskSocket* link : polled_) ReceiveFrom(*link);  // frames carry their arrival time: a late look costs nothing
    uint64_t now = MonoNowNs();
    uint64_t next = TransmitDue(now) ? kForever : now + kRetryNs;
    for (XskSocket* link : polled_)
      if (link->unkicked() > 0) next = std::min(next, now + kRetryNs);
    if (!heap_.empty()) next = std::min(next, heap_.front().due_ns);
    if (next != kForever && next <= now + early_ns_)
      Spin(next);
    else
      Sleep(next == kForever ? kForever : next - early_ns_);
  }
  // Frames still held when the line stops are discarded with it.
  held_.store(0, std::memory_order_relaxed);
}

}  // namespace pk
