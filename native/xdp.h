// The XDP fault engine: loads the run's one program (bpf/fault.bpf.c), exposes its
// policy maps to JS as mmapped ArrayBuffers, and attaches it to interfaces.
#pragma once

#include <napi.h>

#include <string>

namespace pk {

// Registers `xdpLoadEngine`, `xdpAttach`, `xdpDetach` and the XdpEngine class on `exports`.
void InitXdp(Napi::Env env, Napi::Object exports);

// Attaches program `prog_fd` to `ifname` in generic (SKB) mode, failing if a
// program is already attached. Interface names resolve in the calling thread's
// network namespace, so call this on a thread that has joined the node's netns.
// Throws SysError("xdp attach", object, errno) with a message for people.
void XdpAttachInCurrentNetns(int prog_fd, const std::string& ifname, const std::string& object);

// Detaches program `prog_fd` from `ifname` in the calling thread's namespace
// (only if it is still the attached one). Throws SysError("xdp detach", object, errno).
void XdpDetachInCurrentNetns(int prog_fd, const std::string& ifname, const std::string& object);

}  // namespace pk
