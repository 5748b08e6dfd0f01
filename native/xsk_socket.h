// One AF_XDP socket in copy mode bound to queue 0 of an interface, with its own
// umem and all four rings (xsk_ring.h). The delay line gives each bridge-side veth
// it uses one of these: frames the XDP program redirects there arrive on RX;
// frames handed to Send() leave through the interface itself (the kernel's
// direct transmit, which bypasses the qdisc) and reach the peer's stack.
//
// The umem is split in two: RX frames cycle through the fill ring, TX frames
// through the completion ring. RX gets the most: it must absorb the time the
// line's thread is not scheduled (8192 frames = 400 ms at 20,000 frames/s). Received frames are copied out and their
// buffers go straight back to the fill ring, so the kernel never runs dry while
// frames wait in the delay line. Everything is owned here: closing the socket
// (destructor) releases the rings and the umem; the kernel drops the XSKMAP entry
// that pointed at it.
#pragma once

#include <linux/if_xdp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fd.h"
#include "xsk_ring.h"

namespace pk {

// A private mapping (umem or ring), unmapped exactly once.
class OwnedMapping {
 public:
  OwnedMapping() = default;
  OwnedMapping(void* addr, size_t length) : addr_(addr), length_(length) {}
  ~OwnedMapping();
  OwnedMapping(const OwnedMapping&) = delete;
  OwnedMapping& operator=(const OwnedMapping&) = delete;
  OwnedMapping(OwnedMapping&& other) noexcept;
  OwnedMapping& operator=(OwnedMapping&& other) noexcept;
  void* addr() const { return addr_; }
  size_t length() const { return length_; }

 private:
  void* addr_ = nullptr;
  size_t length_ = 0;
};

class XskSocket {
 public:
  static constexpr uint32_t kFrameSize = 2048;
  static constexpr uint32_t kRxFrames = 8192;  // also the fill and RX ring sizes
  static constexpr uint32_t kTxFrames = 2048;  // also the TX and completion ring sizes
  static constexpr uint32_t kFrames = kRxFrames + kTxFrames;

  // Creates, registers the umem, maps the rings and binds to `ifname` (host
  // namespace of the calling thread), queue 0, copy mode. Throws SysError.
  explicit XskSocket(const std::string& ifname);
  XskSocket(const XskSocket&) = delete;
  XskSocket& operator=(const XskSocket&) = delete;

  int fd() const { return fd_.get(); }
  int ifindex() const { return ifindex_; }
  const std::string& ifname() const { return ifname_; }

  // Calls each(data, length, headroom) for up to `max` received frames, then gives
  // their buffers back to the kernel; `headroom` bytes before `data` belong to the
  // frame's buffer (XDP metadata, if any, ends at `data`). Returns how many there were.
  template <typename Each>
  uint32_t Receive(uint32_t max, Each&& each);
  // Whether a frame waits on the RX ring (a read of shared memory, no syscall).
  bool Readable() { return rx_.Peek(1) > 0; }

  // Copies a frame into a free TX buffer and queues it (sent on Flush). False
  // when no buffer or ring slot is free (the caller retries after Flush).
  bool Send(const uint8_t* data, uint32_t length);
  // Asks the kernel to transmit what is queued; returns how many frames it took
  // (in copy mode: transmitted, within the call). Also reaps completed buffers.
  uint32_t Flush();
  // Frames on the TX ring the kernel has not taken yet (Flush again soon). Frames it
  // took but has not completed are not counted: a receiver's socket may hold them
  // for long, and Send reaps completions itself when it runs out of buffers.
  uint32_t unkicked() const { return queued_; }

  // The kernel's counters for this socket (XDP_STATISTICS).
  xdp_statistics Statistics() const;

 private:
  uint32_t ReapCompletions();

  std::string ifname_;
  int ifindex_ = 0;
  OwnedMapping umem_;
  UniqueFd fd_;  // closed before the mappings and the umem go (declared after them)
  OwnedMapping rx_map_, tx_map_, fill_map_, completion_map_;
  XskRing<xdp_desc> rx_, tx_;
  XskRing<uint64_t> fill_, completion_;
  std::vector<uint64_t> free_tx_;
  uint32_t queued_ = 0;  // submitted to the TX ring, not yet kicked
};

template <typename Each>
uint32_t XskSocket::Receive(uint32_t max, Each&& each) {
  uint32_t count = rx_.Peek(max);
  if (count == 0) return 0;
  auto* base = static_cast<uint8_t*>(umem_.addr());
  uint32_t refill = fill_.Reserve(count);  // always `count`: the fill ring holds every RX buffer
  for (uint32_t i = 0; i < count; i++) {
    const xdp_desc& desc = rx_.At(i);
    each(base + desc.addr, desc.len, static_cast<uint32_t>(desc.addr & (kFrameSize - 1)));
    if (i < refill) fill_.Slot(i) = desc.addr & ~static_cast<uint64_t>(kFrameSize - 1);
  }
  rx_.Release(count);
  fill_.Submit(refill);
  return count;
}

}  // namespace pk
