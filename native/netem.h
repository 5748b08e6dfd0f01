// netem leaves over rtnetlink (where the kernel has sch_netem): the request, and
// the JS binding that returns its bytes for tests that parse them back.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "netlink.h"

namespace pk {

// A netem leaf: what sch_netem is asked to do to the packets of one class.
struct NetemSpec {
  uint64_t delay_ns = 0;
  uint64_t jitter_ns = 0;
  // "uniform" (netem's default, no table), "normal" or "pareto".
  std::string distribution = "uniform";
  double duplicate_percent = 0;
  double reorder_percent = 0;
  uint32_t limit_packets = 10000;
};

// The RTM_NEWQDISC request of a netem qdisc.
void BuildNetemQdisc(NetlinkMessage& m, int ifindex, uint32_t parent, uint32_t handle, const NetemSpec& spec);

// A NetemSpec from its JS form ({ delayNs, jitterNs?, distribution?, … }); TypeError on a bad field.
NetemSpec NetemFrom(Napi::Object o);

// Registers tcNetemRequest.
void InitNetem(Napi::Env env, Napi::Object exports);

}  // namespace pk
