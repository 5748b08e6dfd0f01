// See relay.h. One addon thread relays every connection of the process (an
// epoll loop: 1,000 idle forwarded connections are 1,000 entries in its set,
// not 1,000 threads); the fds keep the namespaces they were made in. The JS
// thread never touches the bytes, which is the point: piping in JS costs a full
// core at well under half of what the loopback path can carry.
#include "relay.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cancel_token.h"
#include "binding.h"
#include "errors.h"
#include "fd.h"
#include "netns_thread.h"

namespace pk {
namespace {

const char* const kOp = "relay";
// More than the 64 KiB default means fewer wakeups per MB (1 MiB measured no
// better than 256 KiB); if the kernel refuses (pipe-max-size, per-user pipe
// limits) the default still works.
constexpr int kPipeBytes = 1 << 18;
constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

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

// A socket failed (reset, timeout…): a normal way for a relayed connection to end.
struct SocketFailed {
  int err;
};

// src -> pipe -> dst. The pipe holds what was read from src and not yet written
// to dst, so neither side ever waits for the other inside the kernel.
struct Direction {
  int src = -1, dst = -1;
  UniqueFd pipe_read, pipe_write;
  size_t capacity = 0;
  size_t buffered = 0;
  bool eof = false;   // src reached EOF
  bool done = false;  // eof, pipe drained, dst shut for writing
  bool want_read = false, want_write = false;
  uint64_t delivered = 0;

  void Open(int from, int to) {
    src = from;
    dst = to;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) ThrowErrno(kOp, "pipe2");
    pipe_read.reset(fds[0]);
    pipe_write.reset(fds[1]);
    int size = fcntl(pipe_write.get(), F_SETPIPE_SZ, kPipeBytes);
    if (size < 0) size = fcntl(pipe_write.get(), F_GETPIPE_SZ);
    capacity = size > 0 ? static_cast<size_t>(size) : 65536;
  }

  // One read and one write at most, so the two directions take turns. True when
  // anything moved; otherwise want_read / want_write say what to poll for.
  bool Pass() {
    if (done) return false;
    bool progress = false;
    bool read_blocked = false;
    want_read = want_write = false;
    if (!eof && buffered < capacity) {
      ssize_t n = splice(src, nullptr, pipe_write.get(), nullptr, capacity - buffered, kSpliceFlags);
      if (n > 0) {
        buffered += static_cast<size_t>(n);
        progress = true;
      } else if (n == 0) {
        eof = true;
        progress = true;
      } else if (errno == EAGAIN) {
        read_blocked = true;
      } else if (errno != EINTR) {
        throw SocketFailed{errno};
      }
    }
    if (buffered > 0) {
      ssize_t n = splice(pipe_read.get(), nullptr, dst, nullptr, buffered, kSpliceFlags);
      if (n > 0) {
        buffered -= static_cast<size_t>(n);
        delivered += static_cast<uint64_t>(n);
        progress = true;
      } else if (n < 0 && errno == EAGAIN) {
        want_write = true;
      } else if (n == 0 || errno != EINTR) {
        throw SocketFailed{n == 0 ? EPIPE : errno};
      }
    }
    if (eof && buffered == 0) {
      // Half-close: the peer of dst reads EOF, and may still answer.
      if (shutdown(dst, SHUT_WR) != 0 && errno != ENOTCONN) throw SocketFailed{errno};
      done = true;
      return true;
    }
    // With data waiting for dst, wait for dst alone: an EAGAIN on the read may
    // only mean the pipe is full, and polling a readable src would spin.
    want_read = read_blocked && !want_write;
    return progress;
  }
};

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

// F_DUPFD_CLOEXEC of a connected stream socket, non-blocking (the flag is shared
// with the caller's fd, which is about to be closed anyway).
UniqueFd DupStreamSocket(int fd, const std::string& object) {
  UniqueFd dup(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup) ThrowErrno(kOp, object);
  int type = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(dup.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    int err = errno;
    throw SysError(kOp, object, err, err == ENOTSOCK ? "not a socket" : "");
  }
  if (type != SOCK_STREAM) throw SysError(kOp, object, EINVAL, "not a stream socket");
  int flags = fcntl(dup.get(), F_GETFL);
  if (flags < 0 || fcntl(dup.get(), F_SETFL, flags | O_NONBLOCK) != 0) ThrowErrno(kOp, object);
  return dup;
}

// One relayed connection, owned by the reactor's thread from Add() on.
struct Conn {
  uint64_t id = 0;
  UniqueFd a, b;
  Direction ab, ba;
  std::shared_ptr<CancelToken> cancel;
  Napi::Promise::Deferred deferred;
  // Which of a, b are in the epoll set now (a socket with nothing to wait for
  // is taken out: a hung-up socket would otherwise wake the loop forever).
  uint32_t a_events = 0, b_events = 0;
  explicit Conn(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
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
      uint32_t a_wanted = (c.ab.want_read ? EPOLLIN : 0) | (c.ba.want_write ? EPOLLOUT : 0);
      uint32_t b_wanted = (c.ba.want_read ? EPOLLIN : 0) | (c.ab.want_write ? EPOLLOUT : 0);
      // Still progressing after the last pass: come back on the next round.
      if (a_wanted == 0 && b_wanted == 0) a_wanted = b_wanted = EPOLLIN | EPOLLOUT;
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

Napi::Value StartRelay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd_a = Int32Arg(info, 0, "fdA");
  int fd_b = Int32Arg(info, 1, "fdB");
  std::string object = "fd " + std::to_string(fd_a) + " <-> fd " + std::to_string(fd_b);
  if (fd_a < 0 || fd_b < 0 || fd_a == fd_b) throw SysError(kOp, object, EINVAL, "two different fds are needed");

  auto conn = std::make_unique<Conn>(env);
  conn->a = DupStreamSocket(fd_a, "fd " + std::to_string(fd_a));
  conn->b = DupStreamSocket(fd_b, "fd " + std::to_string(fd_b));
  conn->ab.Open(conn->a.get(), conn->b.get());
  conn->ba.Open(conn->b.get(), conn->a.get());
  conn->cancel = std::make_shared<CancelToken>();
  if (!conn->cancel->event) ThrowErrno(kOp, "cancel eventfd");
  std::shared_ptr<CancelToken> cancel = conn->cancel;
  Napi::Promise promise = conn->deferred.Promise();
  Reactor& reactor = Reactor::Get();
  Tsfn tsfn = Tsfn::New(env, "pakostii:relay", 0, 1);
  reactor.Add(std::move(conn), tsfn);
  return CancellablePromise(env, promise, cancel);
}

}  // namespace

void InitRelay(Napi::Env env, Napi::Object exports) { Export(env, exports, "relay", StartRelay); }

}  // namespace pk
