// The XDP fault engine: loads the run's one program (bpf/fault.bpf.c), exposes its
// policy maps to JS as mmapped ArrayBuffers, and attaches it to interfaces.
#pragma once

#include <napi.h>

#include <string>

// Registers `xdpLoadEngine`, `xdpAttach`, `xdpDetach` and the XdpEngine class on `exports`.
void InitXdp(Napi::Env env, Napi::Object exports);

// Attaches program `prog_fd` to `ifname` in generic (SKB) mode, failing if a
// program is already attached. Interface names resolve in the calling thread's
// network namespace, so call this on a thread that has joined the node's netns.
// Returns 0, or a negative errno with a message for people in `*err`.
int XdpAttachInCurrentNetns(int prog_fd, const char* ifname, std::string* err);

// Detaches program `prog_fd` from `ifname` in the calling thread's namespace
// (only if it is still the attached one). Same return convention.
int XdpDetachInCurrentNetns(int prog_fd, const char* ifname, std::string* err);
