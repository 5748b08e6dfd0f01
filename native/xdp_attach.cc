// Attaching the fault program to an interface inside a node's namespace. The
// namespace is joined by a short-lived thread of our own: a libuv pool thread
// that called setns would stay in that namespace for every later job.
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "xdp.h"
#include "xdp_internal.h"

namespace pakostii_xdp {
namespace {

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { if (fd_ >= 0) close(fd_); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
 private:
  int fd_;
};

class AttachWorker : public Napi::AsyncWorker {
 public:
  AttachWorker(Napi::Env env, bool attach, int prog_fd, std::string netns, std::string ifname)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), attach_(attach),
        prog_fd_(prog_fd), netns_(std::move(netns)), ifname_(std::move(ifname)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  // This pool thread only waits: the setns happens on a thread that dies afterwards.
  void Execute() override {
    std::thread([this] { RunInNamespace(); }).join();
    if (errno_ != 0) SetError(message_);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error&) override {
    std::string object = ifname_ + " in netns " + (netns_.empty() ? "(host)" : netns_);
    deferred_.Reject(XdpError(Env(), attach_ ? "xdp attach" : "xdp detach", object, errno_, message_).Value());
  }

 private:
  void RunInNamespace() {
    if (!netns_.empty()) {
      std::string path = "/run/netns/" + netns_;
      UniqueFd ns(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (ns.get() < 0 || setns(ns.get(), CLONE_NEWNET) != 0) {
        errno_ = errno;
        message_ = "cannot join " + path + ": " + std::strerror(errno_);
        return;
      }
    }
    int rc = attach_ ? XdpAttachInCurrentNetns(prog_fd_, ifname_.c_str(), &message_)
                     : XdpDetachInCurrentNetns(prog_fd_, ifname_.c_str(), &message_);
    if (rc < 0) errno_ = -rc;
  }
  Napi::Promise::Deferred deferred_;
  bool attach_;
  int prog_fd_;
  std::string netns_, ifname_, message_;
  int errno_ = 0;
};

}  // namespace

// xdpAttach(progFd, netns, ifname) / xdpDetach(progFd, netns, ifname): Promise<void>; netns "" = the host namespace.
Napi::Value AttachOrDetach(const Napi::CallbackInfo& info, bool attach) {
  auto* worker = new AttachWorker(info.Env(), attach, info[0].As<Napi::Number>().Int32Value(),
                                  info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::String>().Utf8Value());
  worker->Queue();
  return worker->Promise();
}

}  // namespace pakostii_xdp

int XdpAttachInCurrentNetns(int prog_fd, const char* ifname, std::string* err) {
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    int e = errno;
    *err = std::string("no interface ") + ifname + " in this namespace";
    return -e;
  }
  int rc = bpf_xdp_attach(static_cast<int>(ifindex), prog_fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
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
