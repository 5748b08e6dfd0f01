// See relay.h: relay(fdA, fdB) hands two connected sockets to the relay thread
// (relay_reactor.cc), which moves their bytes with splice(2) (relay_pipe.cc).
// The JS thread never touches the bytes, which is the point: piping in JS
// costs a full core at well under half of what the loopback path can carry.
#include "relay.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>

#include "binding.h"
#include "cancel_token.h"
#include "errors.h"
#include "fd.h"
#include "relay_reactor.h"

namespace pk {
namespace {

const char* const kOp = "relay";

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

// An admission (TryAdmitRelay) that is given back unless the connection reaches the relay thread.
class Admission {
 public:
  Admission() : held_(TryAdmitRelay()) {}
  ~Admission() {
    if (held_) ReleaseRelay();
  }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  bool held() const { return held_; }
  void HandOver() { held_ = false; }  // the relay thread releases it when the connection ends

 private:
  bool held_;
};

Napi::Value StartRelay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd_a = Int32Arg(info, 0, "fdA");
  int fd_b = Int32Arg(info, 1, "fdB");
  std::string object = "fd " + std::to_string(fd_a) + " <-> fd " + std::to_string(fd_b);
  if (fd_a < 0 || fd_b < 0 || fd_a == fd_b) throw SysError(kOp, object, EINVAL, "two different fds are needed");
  Admission admission;
  if (!admission.held()) {
    // Refused before anything is duplicated: the caller closes both sockets.
    throw SysError(
        kOp, object, EAGAIN,
        std::to_string(GetRelayCounters().limit) + " connections are relayed already (the limit per process)");
  }

  auto conn = std::make_unique<Conn>(env);
  conn->a = DupStreamSocket(fd_a, "fd " + std::to_string(fd_a));
  conn->b = DupStreamSocket(fd_b, "fd " + std::to_string(fd_b));
  conn->ab.Open(conn->a.get(), conn->b.get());
  conn->ba.Open(conn->b.get(), conn->a.get());
  conn->cancel = std::make_shared<CancelToken>();
  if (!conn->cancel->event) ThrowErrno(kOp, "cancel eventfd");
  std::shared_ptr<CancelToken> cancel = conn->cancel;
  Napi::Promise promise = conn->deferred.Promise();
  RunRelay(env, std::move(conn));
  admission.HandOver();
  return CancellablePromise(env, promise, cancel);
}

// relayLimit(limit?: number) -> { active, refused, limit }: the counters, after setting the limit if given.
Napi::Value RelayLimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    int limit = Int32Arg(info, 0, "limit");
    if (limit < 0) throw SysError(kOp, "limit", EINVAL, "the relay limit is a count of connections (0 or more)");
    SetRelayLimit(static_cast<uint32_t>(limit));
  }
  RelayCounters counters = GetRelayCounters();
  Napi::Object result = Napi::Object::New(env);
  result.Set("active", Napi::Number::New(env, static_cast<double>(counters.active)));
  result.Set("refused", Napi::Number::New(env, static_cast<double>(counters.refused)));
  result.Set("limit", Napi::Number::New(env, counters.limit));
  return result;
}

}  // namespace

void InitRelay(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "relay", StartRelay);
  Export(env, exports, "relayLimit", RelayLimit);
}

}  // namespace pk
