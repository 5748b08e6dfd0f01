// See relay.h. One addon thread per relayed connection (RunInNetns with "" =
// no namespace change: the fds keep the namespaces they were made in). The JS
// thread never touches the bytes, which is the point: piping in JS costs a full
// core at well under half of what the loopback path can carry.
#include "relay.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

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

short Events(bool in, bool out) { return static_cast<short>((in ? POLLIN : 0) | (out ? POLLOUT : 0)); }

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
};

// Owned by the relay thread (through the work lambda) from the moment relay() returns.
struct Relay {
  UniqueFd a, b;
  std::shared_ptr<CancelToken> cancel;
};

Outcome Run(Relay& relay) {
  // splice() into a reset socket raises SIGPIPE; node ignores it, but a host
  // process that does not must not die of a relayed connection. Blocked, it
  // stays pending on this thread and goes away with it.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);

  Direction ab, ba;
  ab.Open(relay.a.get(), relay.b.get());
  ba.Open(relay.b.get(), relay.a.get());
  Outcome out;
  try {
    while (!(ab.done && ba.done)) {
      bool progress = ab.Pass();
      progress = ba.Pass() || progress;
      if (progress) continue;
      short a_events = Events(ab.want_read, ba.want_write);
      short b_events = Events(ba.want_read, ab.want_write);
      pollfd fds[3] = {
          {a_events ? relay.a.get() : -1, a_events, 0},
          {b_events ? relay.b.get() : -1, b_events, 0},
          {relay.cancel->event.get(), POLLIN, 0},
      };
      if (poll(fds, 3, -1) < 0) {
        if (errno == EINTR) continue;
        ThrowErrno(kOp, "poll");
      }
      if (fds[2].revents != 0) {
        out.end = End::kCancel;
        break;
      }
      // POLLERR: the socket failed (reset, keepalive/user timeout). Nothing
      // else wakes us without a read or write to make next.
      for (int i = 0; i < 2; i++) {
        if (fds[i].revents & POLLNVAL) throw SocketFailed{EBADF};
        if (fds[i].revents & POLLERR) {
          int err = PendingError(fds[i].fd);
          throw SocketFailed{err != 0 ? err : ECONNRESET};
        }
      }
    }
  } catch (const SocketFailed& failed) {
    out.end = End::kError;
    out.err = failed.err;
  }
  out.a_to_b = ab.delivered;
  out.b_to_a = ba.delivered;
  return out;
}

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

Napi::Value StartRelay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd_a = Int32Arg(info, 0, "fdA");
  int fd_b = Int32Arg(info, 1, "fdB");
  std::string object = "fd " + std::to_string(fd_a) + " <-> fd " + std::to_string(fd_b);

  auto relay = std::make_shared<Relay>();
  if (fd_a < 0 || fd_b < 0 || fd_a == fd_b) throw SysError(kOp, object, EINVAL, "two different fds are needed");
  relay->a = DupStreamSocket(fd_a, "fd " + std::to_string(fd_a));
  relay->b = DupStreamSocket(fd_b, "fd " + std::to_string(fd_b));
  relay->cancel = std::make_shared<CancelToken>();
  if (!relay->cancel->event) ThrowErrno(kOp, "cancel eventfd");
  std::shared_ptr<CancelToken> cancel = relay->cancel;

  Napi::Promise promise = RunInNetns(env, "", kOp, [relay]() -> Settle {
    // Close both fds before settling, on every path, not when the last copy of
    // this lambda goes: the JS side waits for the promise to know both are gone.
    auto close_all = [&relay] {
      relay->a.reset();
      relay->b.reset();
      relay->cancel->Close();
    };
    Outcome out;
    try {
      out = Run(*relay);
    } catch (...) {
      close_all();
      throw;
    }
    close_all();
    return [out](Napi::Env env) -> Napi::Value {
      Napi::Object result = Napi::Object::New(env);
      result.Set("aToB", Napi::Number::New(env, static_cast<double>(out.a_to_b)));
      result.Set("bToA", Napi::Number::New(env, static_cast<double>(out.b_to_a)));
      result.Set("end", EndName(out.end));
      if (out.end == End::kError) result.Set("code", ErrnoName(out.err));
      return result;
    };
  });
  return CancellablePromise(env, promise, cancel);
}

}  // namespace

void InitRelay(Napi::Env env, Napi::Object exports) { Export(env, exports, "relay", StartRelay); }

}  // namespace pk
