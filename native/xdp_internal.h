// Pieces of the XDP engine shared by native/xdp*.cc (not part of the addon's API).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pk {

// BPF_PROG_TEST_RUN of `frame` of which the program sees the first `visible` bytes.
// Returns 0 or -errno; the XDP action in *retval. Any thread.
int TestRun(int prog_fd, const uint8_t* frame, size_t size, size_t visible, uint32_t repeat, uint32_t* retval,
            uint32_t* duration_ns);

// `repeat` test runs on a pool thread: Promise<{ action, durationNs }>.
Napi::Promise QueueTestRunRepeat(Napi::Env env, int prog_fd, std::vector<uint8_t> frame, uint32_t repeat);

// xdpAttach / xdpDetach(progFd, netns, ifname): Promise<void>, on an owned thread joined to netns (netns_thread.h).
// Throws SysError for a bad interface name (Export turns it into the JS error).
Napi::Value AttachOrDetach(const Napi::CallbackInfo& info, bool attach);

}  // namespace pk
