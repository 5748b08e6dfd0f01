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
#include <cstring>

#include "errors.h"

namespace pk {
namespace {

// Frames the line holds at most (× 2 KiB of memory); past it, new frames are dropped and counted.
constexpr uint32_t kMaxHeld = 1u << 17;
// Frames taken off one RX ring per wake-up before timers get a look.
constexpr uint32_t kRxBatch = 256;
constexpr uint32_t kEthHeader = 14;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

DelayLine::DelayLine(uint32_t max_nodes, const uint64_t* pairs)
    : max_nodes_(max_nodes), pairs_(pairs), sampler_(static_cast<uint64_t>(NowNs())) {
  wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd_) ThrowErrno("delay line eventfd", "delay line");
  links_.resize(max_nodes);
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
  c.late_ns_max = late_max_.load(std::memory_order_relaxed);
  uint64_t total = 0;
  for (size_t i = 0; i < kLateBuckets; i++) total += late_buckets_[i].load(std::memory_order_relaxed);
  uint64_t seen = 0;
  for (size_t i = 0; i < kLateBuckets && total > 0; i++) {
    seen += late_buckets_[i].load(std::memory_order_relaxed);
    if (c.late_ns_p50 == 0 && seen * 2 >= total) c.late_ns_p50 = (i + 1) * kLateBucketNs;
    if (seen * 100 >= total * 99) {
      c.late_ns_p99 = (i + 1) * kLateBucketNs;
      break;
    }
  }
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

void DelayLine::TakeCommands() {
  uint64_t count;
  ssize_t ignored = read(wake_fd_.get(), &count, sizeof(count));
  (void)ignored;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& link : new_links_)
    if (link.first < max_nodes_) links_[link.first] = std::move(link.second);
  new_links_.clear();
}

void DelayLine::Hold(const uint8_t* data, uint32_t length, uint32_t dst, uint64_t due_ns) {
  if (heap_.size() >= kMaxHeld || length > XskSocket::kFrameSize) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  uint32_t slot;
  if (free_buffers_.empty()) {
    slot = static_cast<uint32_t>(buffers_.size());
    buffers_.emplace_back(new uint8_t[XskSocket::kFrameSize]);
  } else {
    slot = free_buffers_.back();
    free_buffers_.pop_back();
  }
  std::memcpy(buffers_[slot].get(), data, length);
  heap_.push_back(Held{due_ns, seq_++, dst, slot, length});
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

void DelayLine::ReceiveFrom(XskSocket& socket, uint64_t now) {
  std::unique_lock<std::mutex> lock(mu_);  // addresses and profiles, once per batch
  socket.Receive(kRxBatch, [&](const uint8_t* frame, uint32_t length) {
    received_.fetch_add(1, std::memory_order_relaxed);
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
    Hold(frame, length, dst, now + sampler_.Draw(profile->second));
    if (sampler_.Chance(profile->second.duplicate)) {
      duplicated_.fetch_add(1, std::memory_order_relaxed);
      Hold(frame, length, dst, now + sampler_.Draw(profile->second));
    }
  });
}

bool DelayLine::TransmitDue(uint64_t now) {
  bool blocked = false;
  std::vector<XskSocket*> touched;
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
    if (out != nullptr && std::find(touched.begin(), touched.end(), out) == touched.end()) touched.push_back(out);
    uint64_t late = now - next.due_ns;
    if (late > late_max_.load(std::memory_order_relaxed)) late_max_.store(late, std::memory_order_relaxed);
    late_buckets_[std::min<uint64_t>(late / kLateBucketNs, kLateBuckets - 1)].fetch_add(1, std::memory_order_relaxed);
    free_buffers_.push_back(next.slot);
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
  }
  for (auto& link : links_)
    if (link && (link->pending() > 0)) sent_.fetch_add(link->Flush(), std::memory_order_relaxed);
  held_.store(heap_.size(), std::memory_order_relaxed);
  return !blocked;
}

void DelayLine::Run() {
  // Timers of this thread fire when asked, not up to 50 µs later (the default slack).
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  pthread_setname_np(pthread_self(), "pk-delay-line");  // how tests and people find it
  // The lowest real-time priority: on a busy host a normal thread waits for a core for
  // milliseconds, which would be added to every delay. The thread sleeps between frames
  // (a few % of a core at 20,000 frames/s), so it takes little from others. Best effort:
  // without CAP_SYS_NICE it stays a normal thread.
  sched_param priority = {};
  priority.sched_priority = 1;
  pthread_setschedparam(pthread_self(), SCHED_FIFO, &priority);
  std::vector<pollfd> fds;
  std::vector<XskSocket*> polled;
  auto rebuild = [&] {
    fds.assign(1, pollfd{wake_fd_.get(), POLLIN, 0});
    polled.clear();
    for (auto& link : links_) {
      if (!link || std::find(polled.begin(), polled.end(), link.get()) != polled.end()) continue;
      fds.push_back(pollfd{link->fd(), POLLIN, 0});
      polled.push_back(link.get());
    }
  };
  rebuild();
  for (;;) {
    bool clear = TransmitDue(NowNs());
    timespec timeout;
    timespec* wait = nullptr;
    bool pending = std::any_of(polled.begin(), polled.end(), [](XskSocket* s) { return s->pending() > 0; });
    if (!clear || pending) {
      timeout = {0, 20000};  // a TX ring is full or completions are due: look again shortly
      wait = &timeout;
    }
    if (!heap_.empty()) {
      uint64_t now = NowNs();
      uint64_t due = heap_.front().due_ns;
      uint64_t in = due > now ? due - now : 0;
      if (wait == nullptr || in < static_cast<uint64_t>(timeout.tv_nsec)) {
        timeout = {static_cast<time_t>(in / 1000000000ull), static_cast<long>(in % 1000000000ull)};
        wait = &timeout;
      }
    }
    int ready = ppoll(fds.data(), fds.size(), wait, nullptr);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (fds[0].revents & POLLIN) {
      TakeCommands();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) break;
      }
      rebuild();
      continue;
    }
    uint64_t now = NowNs();
    for (size_t i = 1; i < fds.size(); i++)
      if (fds[i].revents & POLLIN) ReceiveFrom(*polled[i - 1], now);
  }
  // Frames still held when the line stops are discarded with it.
  held_.store(0, std::memory_order_relaxed);
}

}  // namespace pk
