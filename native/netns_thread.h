// Running kernel work inside a network namespace without ever moving a thread
// that is not ours.
//
// Why: setns() changes the namespace of the calling thread only, and for good.
// Doing it on the JS main thread would move the whole runtime; doing it on a
// libuv pool thread (AsyncWorker::Execute) leaves that pool thread in the node's
// namespace, so later fs/DNS work queued on it runs in the wrong namespace. So
// every piece of namespace work gets a fresh, short-lived std::thread that is
// thrown away afterwards, and the JS Promise is settled on the JS thread through
// a thread-safe function (no pool thread is blocked while the work waits).
//
// API
//   Napi::Promise RunInNetns(env, netns, work)
//     Starts a new std::thread, joins it to /run/netns/<netns> ("" = stay in the
//     namespace the process started in), runs `work` there and settles the
//     returned Promise on the JS thread:
//       - `work` returns a Settle: called on the JS thread, its value resolves the
//         Promise (return nullptr to resolve with undefined);
//       - `work` throws pk::SysError: rejects with ToJsError (op, object, errno, code);
//       - `work` throws pk::Aborted: rejects with AbortJsError (name "AbortError");
//       - anything else thrown: rejects with a plain Error.
//     Failure to join the namespace rejects with SysError(`op`, netns, errno)
//     (ENOENT when it does not exist).
//   There is deliberately no synchronous variant.
//
//   Inside `work` (and only there: the thread is ours and dies afterwards):
//     JoinNetns(name, op)  moves the current thread to another namespace ("" = the
//                          host namespace the process started in);
//     OpenNetns(name, op)  an fd of /run/netns/<name>, e.g. for IFLA_NET_NS_FD.
//   Interface lookups (if_nametoindex, bpf_xdp_attach, netlink sockets opened
//   afterwards) resolve in the namespace the thread is in when they run; a
//   netlink socket stays bound to the namespace it was opened in.
//
// Example (xdp_attach.cc):
//   return pk::RunInNetns(env, netns, "xdp attach", [prog_fd, ifname, object]() -> pk::Settle {
//     XdpAttachInCurrentNetns(prog_fd, ifname, object);  // throws pk::SysError
//     return nullptr;
//   });
#pragma once

#include <napi.h>

#include <functional>
#include <string>

#include "errors.h"
#include "fd.h"

namespace pk {

// Builds the resolution value on the JS thread.
using Settle = std::function<Napi::Value(Napi::Env)>;
using NetnsWork = std::function<Settle()>;

// `op` names the operation in the error when joining `netns` fails.
Napi::Promise RunInNetns(Napi::Env env, std::string netns, std::string op, NetnsWork work);

// Only on a thread started by RunInNetns. Throws SysError(op, "netns <name>", errno).
void JoinNetns(const std::string& name, const std::string& op);

// O_RDONLY|O_CLOEXEC fd of /run/netns/<name> ("" = the process's own host namespace).
UniqueFd OpenNetns(const std::string& name, const std::string& op);

// "/run/netns/<name>".
std::string NetnsPath(const std::string& name);

// Called once from module init: remembers the namespace the process started in.
void InitNetnsThread(Napi::Env env);

}  // namespace pk
