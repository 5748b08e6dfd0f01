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
#include "binding.h"
#include "errors.h"
#include "links.h"
#include "netns_thread.h"

namespace pk {

namespace {

// psched ticks are 64 ns (PSCHED_SHIFT 6) on every kernel since 3.x.
constexpr uint64_t kNsPerTick = 64;
constexpr uint32_t kDirectQueuePackets = 1000;

}  // namespace

tcmsg* TcHeader(NetlinkMessage& m, int ifindex, uint32_t parent, uint32_t handle, uint32_t info) {
  auto* tc = m.AddHeader<tcmsg>();
  tc->tcm_family = AF_UNSPEC;
  tc->tcm_ifindex = ifindex;
  tc->tcm_parent = parent;
  tc->tcm_handle = handle;
  tc->tcm_info = info;
  return tc;
}

uint32_t Ticks(uint64_t ns) {
  uint64_t ticks = ns / kNsPerTick;
  return ticks > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                      : static_cast<uint32_t>(ticks);
}

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

// tcSetupShaping(ifname, progFd, netns?): root HTB 1: + the cls_bpf classifier on a link ("" = host namespace).
Napi::Value SetupShaping(const Napi::CallbackInfo& info) {
  std::string ifname = StringArg(info, 0, "ifname");
  CheckIfName("htb qdisc add", ifname);
  int prog_fd = Int32Arg(info, 1, "progFd");
  std::string netns = NetnsArg(info, 2);
  return RunInNetns(info.Env(), netns, "htb qdisc add", [ifname, prog_fd]() -> Settle {
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
}

// tcAddClasses(ifname, [{ minor, rateBytes, burstBytes, limitBytes, netem? }], netns?): one hop for all of them.
Napi::Value AddClasses(const Napi::CallbackInfo& info) {
  std::string ifname = StringArg(info, 0, "ifname");
  CheckIfName("htb class add", ifname);
  Napi::Array list = ArrayArg(info, 1, "classes");
  std::vector<HtbClassSpec> classes;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (!item.IsObject()) throw Napi::TypeError::New(info.Env(), "each class must be an object");
    classes.push_back(ClassFrom(item.As<Napi::Object>()));
  }
  std::string netns = NetnsArg(info, 2);
  return RunInNetns(info.Env(), netns, "htb class add", [ifname, classes]() -> Settle {
    NetlinkSocket nl("htb class add");
    int ifindex = LinkIndex(nl, ifname, "htb class add");
    for (const HtbClassSpec& spec : classes) HtbClassAdd(nl, ifindex, ifname, spec);
    return nullptr;
  });
}

// tcRemoveRoot(ifname, netns?): deletes the root qdisc (classes, leaves and filter with it).
Napi::Value RemoveRoot(const Napi::CallbackInfo& info) {
  std::string ifname = StringArg(info, 0, "ifname");
  CheckIfName("qdisc delete", ifname);
  std::string netns = NetnsArg(info, 1);
  return RunInNetns(info.Env(), netns, "qdisc delete", [ifname]() -> Settle {
    NetlinkSocket nl("qdisc delete");
    RootQdiscDelete(nl, LinkIndex(nl, ifname, "qdisc delete"), ifname);
    return nullptr;
  });
}

// tcProbeKinds(): { htb, tbf, netem, clsBpf, afXdp } — what this kernel offers, asked in a throwaway namespace.
Napi::Value ProbeKinds(const Napi::CallbackInfo& info) {
  return RunInNetns(info.Env(), "", "tc probe", []() -> Settle {
    // This thread is ours and dies after the work: its private namespace goes with it.
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
}

}  // namespace

void InitQdisc(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "tcSetupShaping", SetupShaping);
  Export(env, exports, "tcAddClasses", AddClasses);
  Export(env, exports, "tcRemoveRoot", RemoveRoot);
  Export(env, exports, "tcProbeKinds", ProbeKinds);
}

}  // namespace pk
