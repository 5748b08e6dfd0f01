// Traffic control requests, built by hand on the addon's NETLINK_ROUTE socket.
#include "qdisc.h"

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "../bpf/pakostii_shape.h"
#include "errors.h"
#include "netns_thread.h"

namespace pk {

namespace {

// psched ticks are 64 ns (PSCHED_SHIFT 6) on every kernel since 3.x.
constexpr uint64_t kNsPerTick = 64;
constexpr uint32_t kDirectQueuePackets = 1000;
// Entries of the delay distribution tables we send (the kernel takes 1..16384).
constexpr size_t kDistEntries = 1024;

tcmsg* TcHeader(NetlinkMessage& m, int ifindex, uint32_t parent, uint32_t handle, uint32_t info = 0) {
  auto* tc = m.AddHeader<tcmsg>();
  tc->tcm_family = AF_UNSPEC;
  tc->tcm_ifindex = ifindex;
  tc->tcm_parent = parent;
  tc->tcm_handle = handle;
  tc->tcm_info = info;
  return tc;
}

uint32_t Probability(double percent) {
  if (percent <= 0) return 0;
  if (percent >= 100) return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(std::llround(percent / 100.0 * 4294967295.0));
}

uint32_t Ticks(uint64_t ns) {
  uint64_t ticks = ns / kNsPerTick;
  return ticks > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                      : static_cast<uint32_t>(ticks);
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

}  // namespace

void HtbRootAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname) {
  NetlinkMessage m(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
  TcHeader(m, ifindex, TC_H_ROOT, PK_SHAPE_HANDLE);
  m.PutString(TCA_KIND, "htb");
  size_t options = m.BeginNest(TCA_OPTIONS);
  tc_htb_glob glob = {};
  glob.version = 3;  // TC_HTB_PROTOVER
  glob.rate2quantum = 10;
  glob.defcls = 0;  // no default class: unclassified packets take the direct queue
  m.Put(TCA_HTB_INIT, &glob, sizeof(glob));
  m.PutU32(TCA_HTB_DIRECT_QLEN, kDirectQueuePackets);
  m.EndNest(options);
  nl.Request(m, "htb qdisc add", ifname);
}

void BpfFilterAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname, int prog_fd, const std::string& name) {
  NetlinkMessage m(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL);
  TcHeader(m, ifindex, PK_SHAPE_HANDLE, 0, TC_H_MAKE(1u << 16, htons(ETH_P_ALL)));
  m.PutString(TCA_KIND, "bpf");
  size_t options = m.BeginNest(TCA_OPTIONS);
  m.PutU32(TCA_BPF_FD, static_cast<uint32_t>(prog_fd));
  m.PutString(TCA_BPF_NAME, name);
  m.PutU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
  // The program writes only the minor; the filter's classid supplies the major.
  m.PutU32(TCA_BPF_CLASSID, PK_SHAPE_HANDLE);
  m.EndNest(options);
  nl.Request(m, "cls_bpf filter add", ifname);
}

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

void HtbClassAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname, const HtbClassSpec& spec) {
  const std::string object = ifname + " class 1:" + std::to_string(spec.minor);
  if (spec.minor == 0 || spec.minor > PK_SHAPE_MAX_MINOR)
    throw SysError("htb class add", object, EINVAL, "minor out of range");
  if (spec.rate_bytes == 0) throw SysError("htb class add", object, EINVAL, "rate must be above 0");
  uint32_t classid = PK_SHAPE_HANDLE | spec.minor;
  {
    NetlinkMessage m(RTM_NEWTCLASS, NLM_F_CREATE | NLM_F_EXCL);
    TcHeader(m, ifindex, PK_SHAPE_HANDLE, classid);
    m.PutString(TCA_KIND, "htb");
    size_t options = m.BeginNest(TCA_OPTIONS);
    tc_htb_opt opt = {};
    uint64_t rate = spec.rate_bytes;
    uint32_t rate32 = rate >= 0xffffffffull ? 0xffffffffu : static_cast<uint32_t>(rate);
    for (tc_ratespec* r : {&opt.rate, &opt.ceil}) {
      r->rate = rate32;
      r->linklayer = TC_LINKLAYER_ETHERNET;  // lets the kernel compute rates itself (no rate tables)
    }
    // Bucket depth as transmit time in ticks, like tc's "burst".
    uint64_t burst_ns = static_cast<uint64_t>(spec.burst_bytes) * 1000000000ull / rate;
    opt.buffer = opt.cbuffer = Ticks(burst_ns);
    opt.quantum = static_cast<uint32_t>(std::clamp<uint64_t>(rate / 10, 1514, 200000));
    m.Put(TCA_HTB_PARMS, &opt, sizeof(opt));
    if (rate >= 0xffffffffull) {
      m.Put(TCA_HTB_RATE64, &rate, sizeof(rate));
      m.Put(TCA_HTB_CEIL64, &rate, sizeof(rate));
    }
    m.EndNest(options);
    nl.Request(m, "htb class add", object);
  }
  NetlinkMessage leaf(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
  if (spec.netem) {
    BuildNetemQdisc(leaf, ifindex, classid, 0, spec.netem_spec);
    nl.Request(leaf, "netem qdisc add", object);
  } else {
    // A token bucket at the class's rate: unlike HTB it cuts GSO packets (up to 64 KiB)
    // into frames, so a slow link delivers frames, not half-second lumps.
    TcHeader(leaf, ifindex, classid, 0);
    leaf.PutString(TCA_KIND, "tbf");
    size_t options = leaf.BeginNest(TCA_OPTIONS);
    tc_tbf_qopt tbf = {};
    uint64_t rate = spec.rate_bytes;
    tbf.rate.rate = rate >= 0xffffffffull ? 0xffffffffu : static_cast<uint32_t>(rate);
    tbf.rate.linklayer = TC_LINKLAYER_ETHERNET;
    tbf.limit = spec.limit_bytes;
    tbf.buffer = Ticks(static_cast<uint64_t>(spec.burst_bytes) * 1000000000ull / rate);
    leaf.Put(TCA_TBF_PARMS, &tbf, sizeof(tbf));
    if (rate >= 0xffffffffull) leaf.Put(TCA_TBF_RATE64, &rate, sizeof(rate));
    leaf.PutU32(TCA_TBF_BURST, spec.burst_bytes);
    leaf.EndNest(options);
    nl.Request(leaf, "tbf qdisc add", object);
  }
}

void RootQdiscDelete(NetlinkSocket& nl, int ifindex, const std::string& ifname) {
  NetlinkMessage m(RTM_DELQDISC, 0);
  TcHeader(m, ifindex, TC_H_ROOT, PK_SHAPE_HANDLE);
  nl.Request(m, "qdisc delete", ifname);
}

// ---- JS bindings ------------------------------------------------------------------

namespace {

template <typename F>
Napi::Value Guard(const Napi::CallbackInfo& info, F body) {
  try {
    return body();
  } catch (const SysError& e) {
    throw ToJsError(info.Env(), e);
  }
}

std::string StringAt(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// Optional namespace argument: undefined/"" = the host namespace.
std::string OptionalNetns(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return "";
  std::string netns = StringAt(info, i, "netns");
  if (!netns.empty()) CheckNetnsName("netns", netns);
  return netns;
}

double NumberField(Napi::Object o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < 0)
    throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a finite number >= 0");
  return d;
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

HtbClassSpec ClassFrom(Napi::Object o) {
  HtbClassSpec spec;
  spec.minor = static_cast<uint32_t>(NumberField(o, "minor", 0));
  spec.rate_bytes = static_cast<uint64_t>(NumberField(o, "rateBytes", 0));
  spec.burst_bytes = static_cast<uint32_t>(NumberField(o, "burstBytes", 0));
  spec.limit_bytes = static_cast<uint32_t>(NumberField(o, "limitBytes", 0));
  Napi::Value netem = o.Get("netem");
  if (netem.IsObject()) {
    spec.netem = true;
    spec.netem_spec = NetemFrom(netem.As<Napi::Object>());
  }
  return spec;
}

// Whether a qdisc/classifier kind exists, asked on loopback of a namespace of
// our own that dies with the thread: ENOENT is the kernel's "Specified qdisc
// kind is unknown" (after it tried to load the module); any other answer, even
// EINVAL for the missing options, means the kind exists. Nothing is created.
bool KindExists(NetlinkSocket& nl, bool filter, const std::string& kind) {
  const int lo = 1;  // loopback is ifindex 1 in every fresh namespace
  NetlinkMessage m(filter ? RTM_NEWTFILTER : RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
  if (filter) {
    try {
      HtbRootAdd(nl, lo, "lo");  // a filter needs a classful parent
    } catch (const SysError& e) {
      if (e.err() != EEXIST) throw;
    }
    TcHeader(m, lo, PK_SHAPE_HANDLE, 0, TC_H_MAKE(1u << 16, htons(ETH_P_ALL)));
  } else {
    TcHeader(m, lo, TC_H_ROOT, 0);
  }
  m.PutString(TCA_KIND, kind);
  try {
    nl.Request(m, filter ? "filter probe" : "qdisc probe", kind);
  } catch (const SysError& e) {
    return e.err() != ENOENT && e.err() != EOPNOTSUPP;
  }
  return true;
}

}  // namespace

void InitQdisc(Napi::Env env, Napi::Object exports) {
  // tcSetupShaping(ifname, progFd, netns?): root HTB 1: + the cls_bpf classifier on a link ("" = host namespace).
  exports.Set("tcSetupShaping", Napi::Function::New(
                                    env,
                                    [](const Napi::CallbackInfo& info) {
                                      return Guard(info, [&]() -> Napi::Value {
                                        std::string ifname = StringAt(info, 0, "ifname");
                                        CheckIfName("htb qdisc add", ifname);
                                        if (info.Length() < 2 || !info[1].IsNumber())
                                          throw Napi::TypeError::New(info.Env(), "progFd must be a number");
                                        int prog_fd = info[1].As<Napi::Number>().Int32Value();
                                        std::string netns = OptionalNetns(info, 2);
                                        return RunInNetns(
                                            info.Env(), netns, "htb qdisc add", [ifname, prog_fd]() -> Settle {
                                              NetlinkSocket nl("htb qdisc add");
                                              int ifindex = LinkIndex(nl, ifname, "htb qdisc add");
                                              HtbRootAdd(nl, ifindex, ifname);
                                              try {
                                                BpfFilterAdd(nl, ifindex, ifname, prog_fd, PK_SHAPE_PROG_NAME);
                                              } catch (...) {
                                                try {
                                                  RootQdiscDelete(nl, ifindex, ifname);
                                                } catch (const SysError&) {
                                                }
                                                throw;
                                              }
                                              return nullptr;
                                            });
                                      });
                                    },
                                    "tcSetupShaping"));

  // tcAddClasses(ifname, [{ minor, rateBytes, burstBytes, limitBytes, netem? }], netns?): one hop for all of them.
  exports.Set("tcAddClasses", Napi::Function::New(
                                  env,
                                  [](const Napi::CallbackInfo& info) {
                                    return Guard(info, [&]() -> Napi::Value {
                                      std::string ifname = StringAt(info, 0, "ifname");
                                      CheckIfName("htb class add", ifname);
                                      if (info.Length() < 2 || !info[1].IsArray())
                                        throw Napi::TypeError::New(info.Env(), "classes must be an array");
                                      Napi::Array list = info[1].As<Napi::Array>();
                                      std::vector<HtbClassSpec> classes;
                                      for (uint32_t i = 0; i < list.Length(); i++) {
                                        Napi::Value item = list.Get(i);
                                        if (!item.IsObject())
                                          throw Napi::TypeError::New(info.Env(), "each class must be an object");
                                        classes.push_back(ClassFrom(item.As<Napi::Object>()));
                                      }
                                      std::string netns = OptionalNetns(info, 2);
                                      return RunInNetns(info.Env(), netns, "htb class add",
                                                        [ifname, classes]() -> Settle {
                                                          NetlinkSocket nl("htb class add");
                                                          int ifindex = LinkIndex(nl, ifname, "htb class add");
                                                          for (const HtbClassSpec& spec : classes)
                                                            HtbClassAdd(nl, ifindex, ifname, spec);
                                                          return nullptr;
                                                        });
                                    });
                                  },
                                  "tcAddClasses"));

  // tcRemoveRoot(ifname, netns?): deletes the root qdisc (classes, leaves and filter with it).
  exports.Set("tcRemoveRoot", Napi::Function::New(
                                  env,
                                  [](const Napi::CallbackInfo& info) {
                                    return Guard(info, [&]() -> Napi::Value {
                                      std::string ifname = StringAt(info, 0, "ifname");
                                      CheckIfName("qdisc delete", ifname);
                                      std::string netns = OptionalNetns(info, 1);
                                      return RunInNetns(info.Env(), netns, "qdisc delete", [ifname]() -> Settle {
                                        NetlinkSocket nl("qdisc delete");
                                        RootQdiscDelete(nl, LinkIndex(nl, ifname, "qdisc delete"), ifname);
                                        return nullptr;
                                      });
                                    });
                                  },
                                  "tcRemoveRoot"));

  // tcNetemRequest({ ifindex, parent, handle, delayNs, … }): the bytes of the RTM_NEWQDISC we would send.
  exports.Set("tcNetemRequest",
              Napi::Function::New(
                  env,
                  [](const Napi::CallbackInfo& info) {
                    return Guard(info, [&]() -> Napi::Value {
                      if (info.Length() < 1 || !info[0].IsObject())
                        throw Napi::TypeError::New(info.Env(), "spec must be an object");
                      Napi::Object o = info[0].As<Napi::Object>();
                      NetlinkMessage m(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
                      BuildNetemQdisc(m, static_cast<int>(NumberField(o, "ifindex", 1)),
                                      static_cast<uint32_t>(NumberField(o, "parent", TC_H_ROOT)),
                                      static_cast<uint32_t>(NumberField(o, "handle", 0)), NetemFrom(o));
                      nlmsghdr* h = m.header();
                      Napi::Buffer<uint8_t> out =
                          Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t*>(h), h->nlmsg_len);
                      return out;
                    });
                  },
                  "tcNetemRequest"));

  // tcProbeKinds(): { htb, tbf, netem, clsBpf, afXdp } — what this kernel offers, asked in a throwaway namespace.
  exports.Set("tcProbeKinds", Napi::Function::New(
                                  env,
                                  [](const Napi::CallbackInfo& info) {
                                    return Guard(info, [&]() -> Napi::Value {
                                      return RunInNetns(info.Env(), "", "tc probe", []() -> Settle {
                                        // This thread is ours and dies after the work: its private namespace goes with
                                        // it.
                                        if (unshare(CLONE_NEWNET) != 0) ThrowErrno("tc probe", "unshare(CLONE_NEWNET)");
                                        NetlinkSocket nl("tc probe");
                                        auto found = std::make_shared<std::vector<std::pair<std::string, bool>>>();
                                        found->emplace_back("htb", KindExists(nl, false, "htb"));
                                        found->emplace_back("tbf", KindExists(nl, false, "tbf"));
                                        found->emplace_back("netem", KindExists(nl, false, "netem"));
                                        found->emplace_back("clsBpf", KindExists(nl, true, "bpf"));
                                        int xsk = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
                                        found->emplace_back("afXdp", xsk >= 0);
                                        if (xsk >= 0) close(xsk);
                                        return [found](Napi::Env env) -> Napi::Value {
                                          Napi::Object out = Napi::Object::New(env);
                                          for (const auto& [kind, ok] : *found) out.Set(kind, ok);
                                          return out;
                                        };
                                      });
                                    });
                                  },
                                  "tcProbeKinds"));
}

}  // namespace pk
