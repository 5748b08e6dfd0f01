// Traffic control over rtnetlink (no tc binary): the run's root HTB qdisc on a
// host-side veth, its classes with their leaf qdiscs, the cls_bpf classifier
// that picks a class from a BPF map, and netem leaves (netem.h) where the kernel
// has sch_netem. Everything acts in the namespace of the NetlinkSocket passed in.
// Failures throw SysError(op, object, errno), with the kernel's extended-ack
// text when it gave one.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include <linux/rtnetlink.h>

#include "netem.h"
#include "netlink.h"

namespace pk {

// One HTB class (1:minor under the root 1:) and its leaf qdisc.
struct HtbClassSpec {
  uint32_t minor = 0;
  uint64_t rate_bytes = 0;   // bytes per second (rate = ceil)
  uint32_t burst_bytes = 0;  // token bucket depth
  // Leaf: a token bucket at the same rate (it segments GSO packets) with a
  // `limit_bytes` queue, or netem when `netem` is set.
  uint32_t limit_bytes = 0;
  bool netem = false;
  NetemSpec netem_spec;
};

// Root HTB qdisc 1: on `ifindex` (unclassified packets: direct queue, unlimited).
void HtbRootAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname);
// cls_bpf in direct-action mode under 1:, running `prog_fd` on every packet.
void BpfFilterAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname, int prog_fd, const std::string& name);
// Class 1:minor plus its leaf qdisc.
void HtbClassAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname, const HtbClassSpec& spec);
// Deletes the root qdisc of `ifindex` (its classes and filters go with it).
void RootQdiscDelete(NetlinkSocket& nl, int ifindex, const std::string& ifname);

// The tcmsg header of a traffic-control request (qdisc.cc, netem.cc).
tcmsg* TcHeader(NetlinkMessage& m, int ifindex, uint32_t parent, uint32_t handle, uint32_t info = 0);
// Nanoseconds as psched ticks (saturating).
uint32_t Ticks(uint64_t ns);

// Registers tcSetupShaping, tcAddClasses, tcRemoveRoot, tcProbeKinds.
void InitQdisc(Napi::Env env, Napi::Object exports);

}  // namespace pk
