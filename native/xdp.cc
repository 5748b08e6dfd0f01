// The XDP fault engine, native half. One XdpEngine per run owns the loaded
// skeleton of bpf/fault.bpf.c and two shared mappings (policy buffers and the
// control word) that JS writes directly: faults are map writes without a syscall.
// Attach/detach: xdp_attach.cc; BPF_PROG_TEST_RUN: xdp_test_run.cc.
#include "xdp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "../bpf/pakostii_shared.h"
#include "binding.h"
#include "bpf_engine.h"
#include "fault.skel.h"
#include "xdp_internal.h"

namespace pk {
namespace {

// Everything a loaded engine owns; built off the JS thread by LoadEngineState.
struct EngineState {
  Skeleton<fault_bpf, fault_bpf__destroy> skel;
  uint32_t max_nodes = 0;
  std::shared_ptr<BpfMapping> policy;
  std::shared_ptr<BpfMapping> control;
  int cpus = 0;
  double load_ms = 0;
};

// Marks the External that carries a loaded EngineState to the XdpEngine constructor.
const napi_type_tag kEngineStateTag = {0x70616b6f73746969ULL, 0x7864705f656e6731ULL};

[[noreturn]] void LoadFailed(const std::string& op, int err) { pk::LoadFailed(op, PK_PROG_NAME, err); }

// Runs on a pool thread.
void LoadEngineState(EngineState& state, uint32_t max_nodes) {
  auto started = std::chrono::steady_clock::now();
  ClearLibbpfMessages();
  state.max_nodes = max_nodes;
  state.skel.reset(fault_bpf__open());
  if (!state.skel) LoadFailed("xdp program open", errno);
  fault_bpf* skel = state.skel.get();
  uint32_t n = max_nodes;
  uint32_t buffer_words = PK_BUFFER_WORDS(n);
  skel->rodata->max_nodes = n;
  skel->rodata->row_words = PK_ROW_WORDS(n);
  skel->rodata->buffer_words = buffer_words;
  int err = bpf_map__set_max_entries(skel->maps.pk_policy, 2 * buffer_words);
  if (!err) err = bpf_map__set_max_entries(skel->maps.pk_counters, n + 1);
  if (!err) err = bpf_map__set_max_entries(skel->maps.pk_node_index, PK_NODE_ADDRESS_SLOTS(n));
  if (err) LoadFailed("xdp map sizing", -err);
  err = fault_bpf__load(skel);
  if (err) LoadFailed("xdp program load", -err);
  try {
    state.policy =
        MapBpfMap(bpf_map__fd(skel->maps.pk_policy), 2 * buffer_words * sizeof(uint64_t), "pk_policy", PK_PROG_NAME);
    state.control = MapBpfMap(bpf_map__fd(skel->maps.pk_ctl), sizeof(uint64_t), "pk_ctl", PK_PROG_NAME);
  } catch (const SysError& e) {
    LoadFailed(e.op(), e.err());
  }
  state.cpus = libbpf_num_possible_cpus();
  if (state.cpus <= 0) LoadFailed("count possible cpus", -state.cpus);
  state.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

class XdpEngine : public Napi::ObjectWrap<XdpEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "XdpEngine",
        {InstanceAccessor<&XdpEngine::ProgFd>("progFd"), InstanceAccessor<&XdpEngine::MaxNodes>("maxNodes"),
         InstanceAccessor<&XdpEngine::LoadMs>("loadMs"), InstanceMethod<&XdpEngine::PolicyBuffer>("policyBuffer"),
         InstanceMethod<&XdpEngine::ControlBuffer>("controlBuffer"),
         InstanceMethod<&XdpEngine::SetNodeAddress>("setNodeAddress"), InstanceMethod<&XdpEngine::Counters>("counters"),
         InstanceMethod<&XdpEngine::TestRunSync>("testRun"), InstanceMethod<&XdpEngine::TestRunRepeat>("testRunRepeat"),
         InstanceMethod<&XdpEngine::Close>("close")});
  }

  explicit XdpEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XdpEngine>(info) {
    state_.reset(TakeEngineState<EngineState>(info, &kEngineStateTag, "XdpEngine", "xdpLoadEngine"));
    if (!state_) return;
    policy_buffer_ = Napi::Persistent(MappingBuffer(info.Env(), state_->policy));
    control_buffer_ = Napi::Persistent(MappingBuffer(info.Env(), state_->control));
  }

 private:
  void CheckOpen(const char* op) const {
    if (!state_) throw SysError(op, PK_PROG_NAME, EBADF, "the fault engine is closed");
  }
  int prog_fd() const { return bpf_program__fd(state_->skel->progs.pakostii_xdp); }

  Napi::Value ProgFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), state_ ? prog_fd() : -1); }
  Napi::Value MaxNodes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->max_nodes : 0);
  }
  Napi::Value LoadMs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->load_ms : 0);
  }
  Napi::Value PolicyBuffer(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      CheckOpen("xdp policy buffer");
      return policy_buffer_.Value();
    });
  }
  Napi::Value ControlBuffer(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      CheckOpen("xdp control buffer");
      return control_buffer_.Value();
    });
  }

  // setNodeAddress(ipv4, index): index < 0 removes the address.
  Napi::Value SetNodeAddress(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      const char* op = "xdp set node address";
      CheckOpen(op);
      std::string ipv4 = StringArg(info, 0, "ipv4");
      int64_t index = Int64Arg(info, 1, "index");
      pk::SetNodeAddress(bpf_map__fd(state_->skel->maps.pk_node_index), op, ipv4, index);
      return info.Env().Undefined();
    });
  }

  // BigUint64Array [passed0, dropped0, passed1, …] over node indexes 0..maxNodes (the last is "outside"), summed over
  // CPUs.
  Napi::Value Counters(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      CheckOpen("xdp counters");
      uint32_t slots = state_->max_nodes + 1;
      Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), slots * sizeof(pk_counter));
      auto* totals = static_cast<pk_counter*>(out.Data());
      std::vector<pk_counter> per_cpu(state_->cpus);
      int fd = bpf_map__fd(state_->skel->maps.pk_counters);
      for (uint32_t key = 0; key < slots; key++) {
        if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) ThrowErrno("xdp counters read", "pk_counters");
        totals[key] = {0, 0};
        for (const pk_counter& c : per_cpu) {
          totals[key].passed += c.passed;
          totals[key].dropped += c.dropped;
        }
      }
      return Napi::BigUint64Array::New(info.Env(), slots * 2, out, 0);
    });
  }

  // testRun(frame, visible = frame.length): the XDP action (1 = XDP_DROP, 2 = XDP_PASS)
  // for one frame of which the program sees `visible` bytes, against the live maps.
  Napi::Value TestRunSync(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      CheckOpen("xdp test run");
      Napi::Uint8Array frame = BytesArg(info, 0, "frame");
      size_t visible =
          info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : frame.ByteLength();
      uint32_t retval, duration;
      int err = TestRun(prog_fd(), frame.Data(), frame.ByteLength(), visible, 1, &retval, &duration);
      if (err) throw SysError("xdp test run", PK_PROG_NAME, -err);
      return Napi::Number::New(info.Env(), retval);
    });
  }

  // testRunRepeat(frame, repeat): runs on a pool thread, so JS can commit policies meanwhile.
  Napi::Value TestRunRepeat(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      CheckOpen("xdp test run");
      Napi::Uint8Array frame = BytesArg(info, 0, "frame");
      uint32_t repeat = Uint32Arg(info, 1, "repeat");
      return QueueTestRunRepeat(info.Env(), prog_fd(),
                                std::vector<uint8_t>(frame.Data(), frame.Data() + frame.ByteLength()), repeat);
    });
  }

  // Detaches the JS views first so no JS write can reach unmapped memory, then frees everything.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!state_) return info.Env().Undefined();
    DetachMappingBuffer(policy_buffer_);
    DetachMappingBuffer(control_buffer_);
    state_->policy->Unmap();
    state_->control->Unmap();
    state_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<EngineState> state_;
  Napi::Reference<Napi::ArrayBuffer> policy_buffer_;
  Napi::Reference<Napi::ArrayBuffer> control_buffer_;
};

// xdpLoadEngine(maxNodes): Promise<XdpEngine>
Napi::Value LoadEngine(const Napi::CallbackInfo& info) {
  uint32_t max_nodes = Uint32Arg(info, 0, "maxNodes");
  if (max_nodes < 1 || max_nodes > PK_MAX_NODES) {
    throw SysError("xdp program load", PK_PROG_NAME, EINVAL, "maxNodes must be 1.." + std::to_string(PK_MAX_NODES));
  }
  return EngineLoadWorker<EngineState>::Start(info.Env(), static_cast<Napi::FunctionReference*>(info.Data()),
                                              &kEngineStateTag,
                                              [max_nodes](EngineState& state) { LoadEngineState(state, max_nodes); });
}

}  // namespace

void InitXdp(Napi::Env env, Napi::Object exports) {
  CaptureLibbpfMessages();
  Export(env, exports, "xdpLoadEngine", LoadEngine, KeepEngineClass(env, XdpEngine::Define(env)));
  Export(env, exports, "xdpAttach", [](const Napi::CallbackInfo& info) { return AttachOrDetach(info, true); });
  Export(env, exports, "xdpDetach", [](const Napi::CallbackInfo& info) { return AttachOrDetach(info, false); });
}

}  // namespace pk
