// See delay_engine.h. JS calls: setNodeAddress and setProfile (sync, map and
// memory writes), addLink (a socket on a bridge-side veth, made on a thread of
// our own joined to the veth's namespace), counters
// (sync), close (stops the thread and frees everything, on a pool thread).
#include "delay_engine.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "../bpf/pakostii_delay.h"
#include "binding.h"
#include "bpf_engine.h"
#include "delay.skel.h"
#include "delay_line.h"
#include "errors.h"
#include "netns_thread.h"
#include "xsk_socket.h"

namespace pk {
namespace {

// Shared with the pool threads of addLink and close. Torn down in this order by
// close: the line (thread, sockets, umem), the pair-map mapping it reads, then
// the program and its maps.
struct DelayState {
  Skeleton<delay_bpf, delay_bpf__destroy> skel;
  uint32_t max_nodes = 0;
  std::shared_ptr<BpfMapping> pairs;
  std::unique_ptr<DelayLine> line;
  std::mutex mu;  // addLink's map updates vs close
};

const napi_type_tag kDelayStateTag = {0x70616b6f73746969ULL, 0x64656c61796c6e65ULL};

[[noreturn]] void LoadFailed(const char* op, int err) { pk::LoadFailed(op, PK_DELAY_PROG_NAME, err); }

// Runs on a pool thread.
void LoadDelayState(DelayState& state, uint32_t max_nodes) {
  ClearLibbpfMessages();
  state.max_nodes = max_nodes;
  state.skel.reset(delay_bpf__open());
  if (!state.skel) LoadFailed("delay program open", errno);
  delay_bpf* skel = state.skel.get();
  uint32_t n = max_nodes;
  skel->rodata->max_nodes = n;
  int err = bpf_map__set_max_entries(skel->maps.pk_delay_nodes, n * 4 + 16);
  if (!err) err = bpf_map__set_max_entries(skel->maps.pk_delay_pairs, n * n);
  if (!err) err = bpf_map__set_max_entries(skel->maps.pk_delay_links, n);
  if (!err) err = bpf_map__set_max_entries(skel->maps.pk_delay_xsks, n);
  if (err) LoadFailed("delay program map sizing", -err);
  err = delay_bpf__load(skel);
  if (err) LoadFailed("delay program load", -err);
  state.pairs = MapBpfMap(bpf_map__fd(skel->maps.pk_delay_pairs), static_cast<size_t>(n) * n * sizeof(uint64_t),
                          "pk_delay_pairs", PK_DELAY_PROG_NAME);
  state.line = std::make_unique<DelayLine>(n, static_cast<const uint64_t*>(state.pairs->addr()));
}

// Binds a socket to `ifname` and points the program at it (XSKMAP slot = node index).
void AddLink(DelayState& state, const std::string& ifname, uint32_t node) {
  auto socket = std::make_shared<XskSocket>(ifname);
  std::lock_guard<std::mutex> lock(state.mu);
  if (!state.line) throw SysError("delay line add link", ifname, EBADF, "the delay line is closed");
  int fd = socket->fd();
  uint32_t ifindex = static_cast<uint32_t>(socket->ifindex());
  if (bpf_map_update_elem(bpf_map__fd(state.skel->maps.pk_delay_xsks), &node, &fd, BPF_ANY) != 0)
    ThrowErrno("delay line socket map", ifname);
  if (bpf_map_update_elem(bpf_map__fd(state.skel->maps.pk_delay_links), &ifindex, &node, BPF_ANY) != 0)
    ThrowErrno("delay line link map", ifname);
  state.line->AddLink(node, std::move(socket));
}

DelayDistribution ParseDistribution(const std::string& name) {
  if (name == "normal") return DelayDistribution::kNormal;
  if (name == "pareto") return DelayDistribution::kPareto;
  if (name == "uniform") return DelayDistribution::kUniform;
  throw SysError("delay line set profile", name, EINVAL, "distribution must be uniform, normal or pareto");
}

class DelayEngine : public Napi::ObjectWrap<DelayEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "DelayEngine",
        {InstanceAccessor<&DelayEngine::ProgFd>("progFd"), InstanceAccessor<&DelayEngine::MaxNodes>("maxNodes"),
         InstanceMethod<&DelayEngine::PairBuffer>("pairBuffer"),
         InstanceMethod<&DelayEngine::SetNodeAddress>("setNodeAddress"),
         InstanceMethod<&DelayEngine::SetProfile>("setProfile"), InstanceMethod<&DelayEngine::AddLinkMethod>("addLink"),
         InstanceMethod<&DelayEngine::Counters>("counters"), InstanceMethod<&DelayEngine::Close>("close")});
  }

  explicit DelayEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DelayEngine>(info) {
    state_.reset(TakeEngineState<DelayState>(info, &kDelayStateTag, "DelayEngine", "delayLoadLine"));
    if (!state_) return;
    buffer_ = Napi::Persistent(MappingBuffer(info.Env(), state_->pairs));
  }

 private:
  DelayState& Open(const char* op) const {
    if (!state_) throw SysError(op, PK_DELAY_PROG_NAME, EBADF, "the delay line is closed");
    return *state_;
  }
  Napi::Value ProgFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? bpf_program__fd(state_->skel->progs.pakostii_delay) : -1);
  }
  Napi::Value MaxNodes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->max_nodes : 0);
  }
  Napi::Value PairBuffer(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      Open("delay pair buffer");
      return buffer_.Value();
    });
  }
  // setNodeAddress(ipv4, index): index < 0 removes it.
  Napi::Value SetNodeAddress(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      const char* op = "delay line set node address";
      DelayState& state = Open(op);
      std::string ipv4 = StringArg(info, 0, "ipv4");
      int64_t index = Int64Arg(info, 1, "index");
      uint32_t addr = pk::SetNodeAddress(bpf_map__fd(state.skel->maps.pk_delay_nodes), op, ipv4, index);
      state.line->SetNodeAddress(addr, index);
      return info.Env().Undefined();
    });
  }
  // setProfile(id, { delayNs, jitterNs, distribution, duplicatePercent, reorderPercent }).
  Napi::Value SetProfile(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      const char* op = "delay line set profile";
      DelayState& state = Open(op);
      uint32_t id = Uint32Arg(info, 0, "id");
      Napi::Object o = ObjectArg(info, 1, "profile");
      if (id == 0 || id > PK_DELAY_MAX_PROFILE) throw SysError(op, std::to_string(id), EINVAL, "ids are 1..65535");
      DelayProfile p;
      p.delay_ns = static_cast<uint64_t>(NumberField(o, "delayNs", 0));
      p.jitter_ns = static_cast<uint64_t>(NumberField(o, "jitterNs", 0));
      p.distribution = ParseDistribution(StringField(o, "distribution"));
      p.duplicate = NumberField(o, "duplicatePercent", 0) / 100.0;
      p.reorder = NumberField(o, "reorderPercent", 0) / 100.0;
      state.line->SetProfile(id, p);
      return info.Env().Undefined();
    });
  }
  // addLink(ifname, node, netns?): Promise<void>. The socket is made on a thread of
  // our own joined to `netns` ("" = host): an AF_XDP socket binds to a device of
  // the namespace it was created in.
  Napi::Value AddLinkMethod(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      Open("delay line add link");
      std::string ifname = StringArg(info, 0, "ifname");
      uint32_t node = Uint32Arg(info, 1, "node");
      std::string netns = NetnsArg(info, 2);
      CheckIfName("delay line add link", ifname);
      if (node >= state_->max_nodes)
        throw SysError("delay line add link", std::to_string(node), EINVAL, "node index out of range");
      std::shared_ptr<DelayState> state = state_;
      return RunInNetns(info.Env(), netns, "delay line add link", [state, ifname, node]() -> Settle {
        AddLink(*state, ifname, node);
        return nullptr;
      });
    });
  }
  // { received, sent, dropped, …, lateNsP99, pickupNsP50, …, realtime, realtimeError } (addon.ts)
  Napi::Value Counters(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      DelayLineCounters c = Open("delay line counters").line->Counters();
      Napi::Object out = Napi::Object::New(info.Env());
      out.Set("received", static_cast<double>(c.received));
      out.Set("sent", static_cast<double>(c.sent));
      out.Set("dropped", static_cast<double>(c.dropped));
      out.Set("duplicated", static_cast<double>(c.duplicated));
      out.Set("held", static_cast<double>(c.held));
      out.Set("links", static_cast<double>(c.links));
      out.Set("lateNsMax", static_cast<double>(c.late_ns_max));
      out.Set("kernelRxDropped", static_cast<double>(c.kernel_rx_dropped));
      out.Set("kernelRxRingFull", static_cast<double>(c.kernel_rx_ring_full));
      out.Set("lateNsP50", static_cast<double>(c.late_ns_p50));
      out.Set("lateNsP99", static_cast<double>(c.late_ns_p99));
      out.Set("pickupNsP50", static_cast<double>(c.pickup_ns_p50));
      out.Set("pickupNsP99", static_cast<double>(c.pickup_ns_p99));
      out.Set("unstamped", static_cast<double>(c.unstamped));
      out.Set("realtime", c.realtime);
      out.Set("realtimeError", c.realtime_error == 0 ? std::string() : std::string(std::strerror(c.realtime_error)));
      return out;
    });
  }
  // Detaches JS's view; then, on a pool thread, stops the line and frees sockets, umem, mapping and program.
  // Idempotent: a second close resolves at once.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::shared_ptr<DelayState> state = std::move(state_);
    state_.reset();
    if (!buffer_.IsEmpty()) DetachMappingBuffer(buffer_);
    return PoolWork::Start(info.Env(), [state] {
      if (!state) return;
      std::lock_guard<std::mutex> lock(state->mu);
      state->line.reset();
      state->pairs->Unmap();  // a mapped BPF map would outlive its fd
      state->skel.reset();
    });
  }

  std::shared_ptr<DelayState> state_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

// delayLoadLine(maxNodes): Promise<DelayEngine>
Napi::Value LoadLine(const Napi::CallbackInfo& info) {
  uint32_t max_nodes = Uint32Arg(info, 0, "maxNodes");
  if (max_nodes < 1 || max_nodes > 4096) {
    throw SysError("delay program load", PK_DELAY_PROG_NAME, EINVAL, "maxNodes must be 1..4096");
  }
  return EngineLoadWorker<DelayState>::Start(info.Env(), static_cast<Napi::FunctionReference*>(info.Data()),
                                             &kDelayStateTag,
                                             [max_nodes](DelayState& state) { LoadDelayState(state, max_nodes); });
}

}  // namespace

void InitDelayEngine(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "delayLoadLine", LoadLine, KeepEngineClass(env, DelayEngine::Define(env)));
}

}  // namespace pk
