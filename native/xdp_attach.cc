// Attaching the fault program to an interface inside a node's namespace. The
// namespace is joined by a short-lived thread of the addon's own (netns_thread.h):
// a libuv pool thread that called setns would stay in that namespace for good.
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"
#include "netns_thread.h"
#include "xdp.h"
#include "xdp_internal.h"

namespace pakostii_xdp {

Napi::Value AttachOrDetach(const Napi::CallbackInfo& info, bool attach) {
  Napi::Env env = info.Env();
  const char* op = attach ? "xdp attach" : "xdp detach";
  int prog_fd = info[0].As<Napi::Number>().Int32Value();
  std::string netns = info[1].As<Napi::String>().Utf8Value();
  std::string ifname = info[2].As<Napi::String>().Utf8Value();
  std::string object = ifname + " in netns " + (netns.empty() ? "(host)" : netns);
  try {
    pk::CheckIfName(op, ifname);
  } catch (const pk::SysError& error) {
    pk::ToJsError(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return pk::RunInNetns(env, netns, op, [attach, op, prog_fd, ifname, object]() -> pk::Settle {
    std::string why;
    int rc = attach ? XdpAttachInCurrentNetns(prog_fd, ifname.c_str(), &why)
                    : XdpDetachInCurrentNetns(prog_fd, ifname.c_str(), &why);
    if (rc < 0) throw pk::SysError(op, object, -rc, why);
    return nullptr;
  });
}

}  // namespace pakostii_xdp

int XdpAttachInCurrentNetns(int prog_fd, const char* ifname, std::string* err) {
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    int e = errno;
    *err = std::string("no interface ") + ifname + " in this namespace";
    return -e;
  }
  int rc =
      bpf_xdp_attach(static_cast<int>(ifindex), prog_fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
  if (rc < 0) {
    *err = rc == -EBUSY || rc == -EEXIST ? std::string("another XDP program is already attached to ") + ifname
                                         : std::string("bpf_xdp_attach: ") + std::strerror(-rc);
    return rc;
  }
  return 0;
}

int XdpDetachInCurrentNetns(int prog_fd, const char* ifname, std::string* err) {
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    int e = errno;
    *err = std::string("no interface ") + ifname + " in this namespace";
    return -e;
  }
  // XDP_FLAGS_REPLACE + old_prog_fd: detach only if our program is the attached one.
  bpf_xdp_attach_opts opts = {};
  opts.sz = sizeof(opts);
  opts.old_prog_fd = prog_fd;
  int rc = bpf_xdp_detach(static_cast<int>(ifindex), XDP_FLAGS_SKB_MODE | XDP_FLAGS_REPLACE, &opts);
  if (rc < 0) *err = std::string("bpf_xdp_detach: ") + std::strerror(-rc);
  return rc;
}
