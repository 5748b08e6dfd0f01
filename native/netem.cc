// netem leaves over rtnetlink, where the kernel has sch_netem: the request and
// the delay distribution tables it carries.
#include "netem.h"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "binding.h"
#include "qdisc.h"

namespace pk {
namespace {

// Entries of the delay distribution tables we send (the kernel takes 1..16384).
constexpr size_t kDistEntries = 1024;

uint32_t Probability(double percent) {
  if (percent <= 0) return 0;
  if (percent >= 100) return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(std::llround(percent / 100.0 * 4294967295.0));
}

// Inverse CDF of the standard normal, by bisection on erfc (exact enough for a 16-bit table).
double InverseNormal(double p) {
  double lo = -8, hi = 8;
  for (int i = 0; i < 80; i++) {
    double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

// A netem delay table: quantiles of a zero-mean, unit-deviation distribution,
// scaled by NETEM_DIST_SCALE (netem adds table[i] * jitter / scale to the delay).
std::vector<int16_t> DistributionTable(const std::string& name) {
  std::vector<int16_t> table(kDistEntries);
  // Pareto with shape 3: mean 1.5, deviation sqrt(3)/2; its tail is clipped at 4 deviations.
  const double pareto_mean = 1.5, pareto_sd = std::sqrt(3.0) / 2;
  for (size_t i = 0; i < kDistEntries; i++) {
    double p = (static_cast<double>(i) + 0.5) / kDistEntries;
    double x = name == "normal" ? InverseNormal(p) : (std::pow(1 - p, -1.0 / 3.0) - pareto_mean) / pareto_sd;
    double scaled = std::round(x * NETEM_DIST_SCALE);
    table[i] = static_cast<int16_t>(std::clamp(scaled, -32767.0, 32767.0));
  }
  return table;
}

// tcNetemRequest({ ifindex, parent, handle, delayNs, … }): the bytes of the RTM_NEWQDISC we would send.
Napi::Value NetemRequest(const Napi::CallbackInfo& info) {
  Napi::Object o = ObjectArg(info, 0, "spec");
  NetlinkMessage m(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
  BuildNetemQdisc(m, static_cast<int>(NumberField(o, "ifindex", 1)),
                  static_cast<uint32_t>(NumberField(o, "parent", TC_H_ROOT)),
                  static_cast<uint32_t>(NumberField(o, "handle", 0)), NetemFrom(o));
  nlmsghdr* h = m.header();
  return Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t*>(h), h->nlmsg_len);
}

}  // namespace

void BuildNetemQdisc(NetlinkMessage& m, int ifindex, uint32_t parent, uint32_t handle, const NetemSpec& spec) {
  TcHeader(m, ifindex, parent, handle);
  m.PutString(TCA_KIND, "netem");
  // netem's options are a tc_netem_qopt followed by attributes (not a plain nest).
  size_t options = m.BeginNest(TCA_OPTIONS);
  auto* qopt = static_cast<tc_netem_qopt*>(m.Reserve(sizeof(tc_netem_qopt)));
  qopt->latency = Ticks(spec.delay_ns);
  qopt->jitter = Ticks(spec.jitter_ns);
  qopt->limit = spec.limit_packets;
  qopt->duplicate = Probability(spec.duplicate_percent);
  if (spec.reorder_percent > 0) {
    qopt->gap = 1;  // as tc does: reorder needs a gap, 1 = any packet may jump the queue
    tc_netem_reorder reorder = {Probability(spec.reorder_percent), 0};
    m.Put(TCA_NETEM_REORDER, &reorder, sizeof(reorder));
  }
  int64_t latency = static_cast<int64_t>(spec.delay_ns);
  int64_t jitter = static_cast<int64_t>(spec.jitter_ns);
  m.Put(TCA_NETEM_LATENCY64, &latency, sizeof(latency));
  m.Put(TCA_NETEM_JITTER64, &jitter, sizeof(jitter));
  if (spec.jitter_ns > 0 && spec.distribution != "uniform") {
    std::vector<int16_t> table = DistributionTable(spec.distribution);
    m.Put(TCA_NETEM_DELAY_DIST, table.data(), table.size() * sizeof(int16_t));
  }
  m.EndNest(options);
}

NetemSpec NetemFrom(Napi::Object o) {
  NetemSpec spec;
  spec.delay_ns = static_cast<uint64_t>(NumberField(o, "delayNs", 0));
  spec.jitter_ns = static_cast<uint64_t>(NumberField(o, "jitterNs", 0));
  spec.duplicate_percent = NumberField(o, "duplicatePercent", 0);
  spec.reorder_percent = NumberField(o, "reorderPercent", 0);
  spec.limit_packets = static_cast<uint32_t>(NumberField(o, "limitPackets", spec.limit_packets));
  Napi::Value dist = o.Get("distribution");
  if (dist.IsString()) spec.distribution = dist.As<Napi::String>().Utf8Value();
  if (spec.distribution != "uniform" && spec.distribution != "normal" && spec.distribution != "pareto") {
    throw Napi::TypeError::New(o.Env(), "distribution must be uniform, normal or pareto");
  }
  return spec;
}

void InitNetem(Napi::Env env, Napi::Object exports) { Export(env, exports, "tcNetemRequest", NetemRequest); }

}  // namespace pk
