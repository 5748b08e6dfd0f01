// Attaching the fault program to an interface inside a node's namespace. The
// namespace is joined by a short-lived thread of the addon's own (netns_thread.h):
// a libuv pool thread that called setns would stay in that namespace for good.
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "binding.h"
#include "errors.h"
#include "netns_thread.h"
#include "xdp.h"
#include "xdp_internal.h"

namespace pk {

Napi::Value AttachOrDetach(const Napi::CallbackInfo& info, bool attach) {
  const char* op = attach ? "xdp attach" : "xdp detach";
  int prog_fd = Int32Arg(info, 0, "progFd");
  std::string netns = StringArg(info, 1, "netns");
  std::string ifname = StringArg(info, 2, "ifname");
  std::string object = ifname + " in netns " + (netns.empty() ? "(host)" : netns);
  CheckIfName(op, ifname);
  return RunInNetns(info.Env(), netns, op, [attach, prog_fd, ifname, object]() -> Settle {
    if (attach) {
      XdpAttachInCurrentNetns(prog_fd, ifname, object);
    } else {
      XdpDetachInCurrentNetns(prog_fd, ifname, object);
    }
    return nullptr;
  });
}

namespace {

unsigned IfIndexOrThrow(const char* op, const std::string& ifname, const std::string& object) {
  unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) throw SysError(op, object, errno, "no interface " + ifname + " in this namespace");
  return ifindex;
}

}  // namespace

void XdpAttachInCurrentNetns(int prog_fd, const std::string& ifname, const std::string& object) {
  const char* op = "xdp attach";
  unsigned ifindex = IfIndexOrThrow(op, ifname, object);
  int rc =
      bpf_xdp_attach(static_cast<int>(ifindex), prog_fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
  if (rc < 0) {
    throw SysError(op, object, -rc,
                   rc == -EBUSY || rc == -EEXIST ? "another XDP program is already attached to " + ifname
                                                 : std::string("bpf_xdp_attach: ") + std::strerror(-rc));
  }
}

void XdpDetachInCurrentNetns(int prog_fd, const std::string& ifname, const std::string& object) {
  const char* op = "xdp detach";
  unsigned ifindex = IfIndexOrThrow(op, ifname, object);
  // XDP_FLAGS_REPLACE + old_prog_fd: detach only if our program is the attached one.
  bpf_xdp_attach_opts opts = {};
  opts.sz = sizeof(opts);
  opts.old_prog_fd = prog_fd;
  int rc = bpf_xdp_detach(static_cast<int>(ifindex), XDP_FLAGS_SKB_MODE | XDP_FLAGS_REPLACE, &opts);
  if (rc < 0) throw SysError(op, object, -rc, std::string("bpf_xdp_detach: ") + std::strerror(-rc));
}

}  // namespace pk
