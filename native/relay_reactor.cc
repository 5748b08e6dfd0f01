// See relay_reactor.h. One addon thread relays every connection of the process
// (an epoll loop: 1,000 idle forwarded connections are 1,000 entries in its
// set, not 1,000 threads); the fds keep the namespaces they were made in.
#include "relay_reactor.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "errors.h"

namespace pk {
namespace {

const char* const kOp = "relay";

std::atomic<uint64_t> g_active{0};
std::atomic<uint64_t> g_refused{0};
std::atomic<uint32_t> g_limit{kDefaultRelayLimit};

enum class End { kEof, kCancel, kError };

const char* EndName(End end) {
  switch (end) {
    case End::kEof:
      return "eof";
    case End::kCancel:
      return "cancel";
    case End::kError:
      return "error";
  }
  return "error";
}

int PendingError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

struct Outcome {
  uint64_t a_to_b = 0, b_to_a = 0;
  End end = End::kEof;
  int err = 0;
  Napi::Promise::Deferred* deferred = nullptr;  // owned by whoever settles
};

void SettleOnJsThread(Napi::Env env, Napi::Function, std::nullptr_t*, Outcome* raw);
using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Outcome, SettleOnJsThread>;

// Every relay of the process on one thread ("pk-relay"): an epoll loop over
// the sockets of all connections and their cancel eventfds. A connection that
// ends is closed on that thread and its promise settled through its own
// thread-safe function (which keeps node alive while the connection lives).
class Reactor {
 public:
  static Reactor& Get() {
    static Reactor* reactor = new Reactor();  // never destroyed: its thread runs for the process's life
    return *reactor;
  }

  void Add(std::unique_ptr<Conn> conn, Tsfn tsfn) {
    std::lock_guard<std::mutex> hold(mu_);
    pending_.push_back({std::move(conn), tsfn});
    uint64_t one = 1;
    (void)!write(wake_.get(), &one, sizeof(one));
  }

 private:
  struct Entry {
    std::unique_ptr<Conn> conn;
    Tsfn tsfn;
  };
  enum Which : uint64_t { kA = 0, kB = 1, kCancel = 2 };
  static constexpr uint64_t kWake = ~uint64_t{0};

  Reactor() : epoll_(epoll_create1(EPOLL_CLOEXEC)), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!epoll_) ThrowErrno(kOp, "epoll_create1");
    if (!wake_) ThrowErrno(kOp, "eventfd");
    Control(EPOLL_CTL_ADD, wake_.get(), EPOLLIN, kWake);
    std::thread([this] { Loop(); }).detach();
  }

  void Control(int op, int fd, uint32_t events, uint64_t tag) {
    epoll_event ev = {};
    ev.events = events;
    ev.data.u64 = tag;
    if (epoll_ctl(epoll_.get(), op, fd, &ev) != 0) ThrowErrno(kOp, "epoll_ctl");
  }

  // Puts `fd` in the set with `events`, takes it out for none.
  void Watch(int fd, uint32_t& current, uint32_t wanted, uint64_t tag) {
    if (current == wanted) return;
    if (wanted == 0) {
      Control(EPOLL_CTL_DEL, fd, 0, tag);
    } else {
      Control(current == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, wanted, tag);
    }
    current = wanted;
  }

  void Loop() {
    pthread_setname_np(pthread_self(), "pk-relay");
    // splice() into a reset socket raises SIGPIPE; node ignores it, but a host
    // process that does not must not die of a relayed connection.
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    epoll_event events[256];
    for (;;) {
      int n = epoll_wait(epoll_.get(), events, 256, -1);
      if (n < 0) continue;  // EINTR
      for (int i = 0; i < n; i++) {
        uint64_t tag = events[i].data.u64;
        if (tag == kWake) {
          TakePending();
          continue;
        }
        auto found = conns_.find(tag >> 2);
        if (found == conns_.end()) continue;  // ended earlier in this batch
        Entry& entry = found->second;
        if ((tag & 3) == kCancel) {
          Finish(entry, End::kCancel, 0);
        } else if (events[i].events & EPOLLERR) {
          int err = PendingError((tag & 3) == kA ? entry.conn->a.get() : entry.conn->b.get());
          Finish(entry, End::kError, err != 0 ? err : ECONNRESET);
        } else {
          Step(entry);
        }
      }
    }
  }

  void TakePending() {
    uint64_t count;
    (void)!read(wake_.get(), &count, sizeof(count));
    std::vector<Entry> taken;
    {
      std::lock_guard<std::mutex> hold(mu_);
      taken.swap(pending_);
    }
    for (Entry& entry : taken) {
      uint64_t id = next_id_++;
      entry.conn->id = id;
      Entry& stored = conns_.emplace(id, std::move(entry)).first->second;
      try {
        Control(EPOLL_CTL_ADD, stored.conn->cancel->event.get(), EPOLLIN, (id << 2) | kCancel);
      } catch (const SysError& e) {
        Finish(stored, End::kError, e.err());
        continue;
      }
      Step(stored);
    }
  }

  // Moves what can move now, then waits for what each side needs next.
  void Step(Entry& entry) {
    Conn& c = *entry.conn;
    try {
      // A bounded number of passes, so one busy connection cannot starve the others.
      for (int pass = 0; pass < 16; pass++) {
        bool progress = c.ab.Pass();
        progress = c.ba.Pass() || progress;
        if (c.ab.done && c.ba.done) return Finish(entry, End::kEof, 0);
        if (!progress) break;
      }
      // A direction still moving when the passes ran out asked for nothing, yet has more
      // to do: it waits for both of its ends (level-triggered, so the next round comes at
      // once). Judged per direction: the other one waiting for input must not take this
      // one's socket out of the set, which stalled a bulk transfer towards a silent peer.
      for (Direction* d : {&c.ab, &c.ba}) {
        if (d->done || d->want_read || d->want_write) continue;
        d->want_read = !d->eof && d->buffered < d->capacity;
        d->want_write = d->buffered > 0;
      }
      uint32_t a_wanted = (c.ab.want_read ? EPOLLIN : 0) | (c.ba.want_write ? EPOLLOUT : 0);
      uint32_t b_wanted = (c.ba.want_read ? EPOLLIN : 0) | (c.ab.want_write ? EPOLLOUT : 0);
      Watch(c.a.get(), c.a_events, a_wanted, (c.id << 2) | kA);
      Watch(c.b.get(), c.b_events, b_wanted, (c.id << 2) | kB);
    } catch (const SocketFailed& failed) {
      Finish(entry, End::kError, failed.err);
    } catch (const SysError& e) {
      Finish(entry, End::kError, e.err());
    }
  }

  // Closes everything of the connection, then settles its promise.
  void Finish(Entry& entry, End end, int err) {
    Conn& c = *entry.conn;
    // Out of the set before closing: the caller's copy of each fd may still be
    // open, and a closed fd whose file lives on stays in an epoll set.
    for (auto [fd, events] : {std::pair{c.a.get(), &c.a_events}, std::pair{c.b.get(), &c.b_events}}) {
      if (*events != 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    }
    if (c.cancel->event) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.cancel->event.get(), nullptr);
    auto* out = new Outcome{c.ab.delivered, c.ba.delivered, end, err};
    auto* deferred = new Napi::Promise::Deferred(std::move(c.deferred));
    c.a.reset();
    c.b.reset();
    c.ab.pipe_read.reset();
    c.ab.pipe_write.reset();
    c.ba.pipe_read.reset();
    c.ba.pipe_write.reset();
    c.cancel->Close();
    out->deferred = deferred;
    Tsfn tsfn = entry.tsfn;
    conns_.erase(c.id);
    ReleaseRelay();  // its fds are closed: a new connection may take its place
    if (tsfn.BlockingCall(out) != napi_ok) {
      delete out->deferred;
      delete out;
    }
    tsfn.Release();
  }

  UniqueFd epoll_, wake_;
  std::mutex mu_;
  std::vector<Entry> pending_;
  std::unordered_map<uint64_t, Entry> conns_;  // only the loop's thread touches it
  uint64_t next_id_ = 1;
};

void SettleOnJsThread(Napi::Env env, Napi::Function, std::nullptr_t*, Outcome* raw) {
  std::unique_ptr<Outcome> out(raw);
  std::unique_ptr<Napi::Promise::Deferred> deferred(out->deferred);
  if (env == nullptr) return;  // the environment is going away: nobody is waiting
  Napi::HandleScope scope(env);
  Napi::Object result = Napi::Object::New(env);
  result.Set("aToB", Napi::Number::New(env, static_cast<double>(out->a_to_b)));
  result.Set("bToA", Napi::Number::New(env, static_cast<double>(out->b_to_a)));
  result.Set("end", EndName(out->end));
  if (out->end == End::kError) result.Set("code", ErrnoName(out->err));
  deferred->Resolve(result);
}

}  // namespace

bool TryAdmitRelay() {
  uint64_t now = g_active.load();
  do {
    if (now >= g_limit.load()) {
      g_refused.fetch_add(1);
      return false;
    }
  } while (!g_active.compare_exchange_weak(now, now + 1));
  return true;
}

void ReleaseRelay() { g_active.fetch_sub(1); }

void SetRelayLimit(uint32_t limit) { g_limit.store(limit); }

RelayCounters GetRelayCounters() { return {g_active.load(), g_refused.load(), g_limit.load()}; }

void RunRelay(Napi::Env env, std::unique_ptr<Conn> conn) {
  Tsfn tsfn = Tsfn::New(env, "pakostii:relay", 0, 1);
  Reactor::Get().Add(std::move(conn), tsfn);
}

}  // namespace pk
