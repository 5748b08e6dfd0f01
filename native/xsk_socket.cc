// See xsk_socket.h. The setup order follows the AF_XDP documentation: register
// the umem, size the four rings, read their offsets, map them, then bind.
#include "xsk_socket.h"

#include <net/if.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "errors.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace pk {

OwnedMapping::~OwnedMapping() {
  if (addr_ != nullptr) munmap(addr_, length_);
}
OwnedMapping::OwnedMapping(OwnedMapping&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), length_(std::exchange(other.length_, 0)) {}
OwnedMapping& OwnedMapping::operator=(OwnedMapping&& other) noexcept {
  if (this != &other) {
    if (addr_ != nullptr) munmap(addr_, length_);
    addr_ = std::exchange(other.addr_, nullptr);
    length_ = std::exchange(other.length_, 0);
  }
  return *this;
}

namespace {

const char* kOp = "af_xdp socket";

OwnedMapping MapRing(int fd, const xdp_ring_offset& offsets, size_t entry_size, uint32_t size, off_t page_offset,
                     const std::string& object) {
  size_t length = offsets.desc + size * entry_size;
  void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, page_offset);
  if (addr == MAP_FAILED) ThrowErrno("af_xdp ring mmap", object);
  return OwnedMapping(addr, length);
}

void SetInt(int fd, int option, int value, const char* what, const std::string& object) {
  if (setsockopt(fd, SOL_XDP, option, &value, sizeof(value)) != 0) ThrowErrno(std::string(kOp) + " " + what, object);
}

}  // namespace

XskSocket::XskSocket(const std::string& ifname) : ifname_(ifname) {
  CheckIfName(kOp, ifname);
  ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex_ == 0) ThrowErrno(kOp, ifname);

  size_t umem_bytes = static_cast<size_t>(kFrames) * kFrameSize;
  void* umem = mmap(nullptr, umem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (umem == MAP_FAILED) ThrowErrno("af_xdp umem mmap", ifname);
  umem_ = OwnedMapping(umem, umem_bytes);
  // Named so a leak shows in /proc/<pid>/maps as [anon:pakostii-umem] (kernels with CONFIG_ANON_VMA_NAME).
  prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, reinterpret_cast<unsigned long>(umem), umem_bytes,
        reinterpret_cast<unsigned long>("pakostii-umem"));

  fd_.reset(socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!fd_) ThrowErrno(kOp, ifname);
  xdp_umem_reg reg = {};
  reg.addr = reinterpret_cast<uint64_t>(umem);
  reg.len = umem_bytes;
  reg.chunk_size = kFrameSize;
  reg.headroom = 0;
  if (setsockopt(fd(), SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) != 0) ThrowErrno("af_xdp umem register", ifname);
  SetInt(fd(), XDP_UMEM_FILL_RING, kRxFrames, "fill ring", ifname);
  SetInt(fd(), XDP_UMEM_COMPLETION_RING, kTxFrames, "completion ring", ifname);
  SetInt(fd(), XDP_RX_RING, kRxFrames, "rx ring", ifname);
  SetInt(fd(), XDP_TX_RING, kTxFrames, "tx ring", ifname);

  xdp_mmap_offsets off = {};
  socklen_t optlen = sizeof(off);
  if (getsockopt(fd(), SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen) != 0) ThrowErrno("af_xdp ring offsets", ifname);
  rx_map_ = MapRing(fd(), off.rx, sizeof(xdp_desc), kRxFrames, XDP_PGOFF_RX_RING, ifname);
  tx_map_ = MapRing(fd(), off.tx, sizeof(xdp_desc), kTxFrames, XDP_PGOFF_TX_RING, ifname);
  fill_map_ = MapRing(fd(), off.fr, sizeof(uint64_t), kRxFrames, XDP_UMEM_PGOFF_FILL_RING, ifname);
  completion_map_ = MapRing(fd(), off.cr, sizeof(uint64_t), kTxFrames, XDP_UMEM_PGOFF_COMPLETION_RING, ifname);
  rx_.Attach(rx_map_.addr(), off.rx, kRxFrames);
  tx_.Attach(tx_map_.addr(), off.tx, kTxFrames);
  fill_.Attach(fill_map_.addr(), off.fr, kRxFrames);
  completion_.Attach(completion_map_.addr(), off.cr, kTxFrames);

  // The umem's first kRxFrames frames: RX buffers, all handed to the kernel. The rest: TX buffers.
  uint32_t n = fill_.Reserve(kRxFrames);
  for (uint32_t i = 0; i < n; i++) fill_.Slot(i) = static_cast<uint64_t>(i) * kFrameSize;
  fill_.Submit(n);
  free_tx_.reserve(kTxFrames);
  for (uint32_t i = 0; i < kTxFrames; i++) free_tx_.push_back(static_cast<uint64_t>(kRxFrames + i) * kFrameSize);

  sockaddr_xdp addr = {};
  addr.sxdp_family = AF_XDP;
  addr.sxdp_ifindex = static_cast<uint32_t>(ifindex_);
  addr.sxdp_queue_id = 0;
  addr.sxdp_flags = XDP_COPY;
  if (bind(fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) ThrowErrno("af_xdp bind", ifname);
}

bool XskSocket::Send(const uint8_t* data, uint32_t length) {
  if (length > kFrameSize) return false;
  if (free_tx_.empty()) ReapCompletions();
  if (free_tx_.empty() || tx_.Reserve(1) == 0) return false;
  uint64_t addr = free_tx_.back();
  free_tx_.pop_back();
  std::memcpy(static_cast<uint8_t*>(umem_.addr()) + addr, data, length);
  xdp_desc& desc = tx_.Slot(0);
  desc.addr = addr;
  desc.len = length;
  desc.options = 0;
  tx_.Submit(1);
  queued_++;
  return true;
}

uint32_t XskSocket::Flush() {
  // Copy mode transmits inside sendto, a bounded batch per call (EAGAIN: more to do).
  uint32_t before = queued_;
  for (int round = 0; queued_ > 0 && round < 64; round++) {
    if (sendto(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) {
      queued_ = tx_.Outstanding();
      continue;
    }
    if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) break;
    queued_ = tx_.Outstanding();
  }
  ReapCompletions();
  return before - queued_;
}

uint32_t XskSocket::ReapCompletions() {
  uint32_t done = completion_.Peek(kTxFrames);
  for (uint32_t i = 0; i < done; i++) free_tx_.push_back(completion_.At(i));
  completion_.Release(done);
  return done;
}

xdp_statistics XskSocket::Statistics() const {
  xdp_statistics stats = {};
  socklen_t optlen = sizeof(stats);
  if (getsockopt(fd(), SOL_XDP, XDP_STATISTICS, &stats, &optlen) != 0) stats = {};
  return stats;
}

}  // namespace pk
