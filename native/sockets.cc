// connect() on an owned thread joined to the namespace. The socket keeps the
// namespace it was created in, so the fd works from the JS thread afterwards.
#include "sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>

#include "binding.h"
#include "cancel_token.h"
#include "errors.h"
#include "fd.h"
#include "netns_thread.h"

namespace pk {
namespace {

int ConnectWithTimeout(const std::string& object, const sockaddr_in& to, int timeout_ms, const CancelToken& cancel) {
  const std::string op = "connect";
  UniqueFd sock(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!sock) ThrowErrno(op, object);
  if (connect(sock.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0) return sock.release();
  if (errno != EINPROGRESS) ThrowErrno(op, object);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw SysError(op, object, ETIMEDOUT, "no answer within " + std::to_string(timeout_ms) + " ms");
    pollfd fds[2] = {{sock.get(), POLLOUT, 0}, {cancel.event.get(), POLLIN, 0}};
    int ready = poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      ThrowErrno(op, object);
    }
    if (fds[1].revents & POLLIN) throw Aborted{op, object};
    if (fds[0].revents != 0) break;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) ThrowErrno(op, object);
  if (err != 0) throw SysError(op, object, err);
  return sock.release();
}

Napi::Value ConnectInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = StringArg(info, 0, "netns");
  std::string ip = StringArg(info, 1, "ip");
  int64_t port = Int64Arg(info, 2, "port");
  int64_t timeout_ms = Int64Arg(info, 3, "timeoutMs");
  std::string object = ip + ":" + std::to_string(port) + " from netns " + (netns.empty() ? "(host)" : netns);

  sockaddr_in to = {};
  to.sin_family = AF_INET;
  if (inet_pton(AF_INET, ip.c_str(), &to.sin_addr) != 1) {
    throw SysError("connect", object, EINVAL, "not an IPv4 address");
  }
  if (port < 1 || port > 65535) throw SysError("connect", object, EINVAL, "port must be 1..65535");
  if (timeout_ms < 1 || timeout_ms > INT32_MAX) {
    throw SysError("connect", object, EINVAL, "timeoutMs must be 1..2147483647");
  }
  to.sin_port = htons(static_cast<uint16_t>(port));

  auto cancel = std::make_shared<CancelToken>();
  if (!cancel->event) throw SysError("connect", object, errno, "cannot create the cancel eventfd");

  // The thread joins the namespace itself (not through RunInNetns's netns
  // argument) so that the eventfd is closed on every path, a missing namespace too.
  Napi::Promise promise = RunInNetns(env, "", "connect", [netns, object, to, timeout_ms, cancel]() -> Settle {
    CancelScope scope(cancel);
    if (!netns.empty()) JoinNetns(netns, "connect");
    int fd = ConnectWithTimeout(object, to, static_cast<int>(timeout_ms), *cancel);
    return [fd](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, fd); };
  });
  return CancellablePromise(env, promise, cancel);
}

}  // namespace

void InitSockets(Napi::Env env, Napi::Object exports) { Export(env, exports, "connectInNetns", ConnectInNetns); }

}  // namespace pk
