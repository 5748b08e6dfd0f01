// The XDP fault engine, native half. One XdpEngine per run owns the loaded
// skeleton of bpf/fault.bpf.c and two shared mappings (policy buffers and the
// control word) that JS writes directly: faults are map writes without a syscall.
// Attach/detach: xdp_attach.cc; BPF_PROG_TEST_RUN: xdp_test_run.cc.
#include "xdp.h"

#include "xdp_internal.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "../bpf/pakostii_shared.h"
#include "fault.skel.h"

namespace pakostii_xdp {

namespace {

// libbpf reports why a load failed (verifier log, missing BTF…) through its print
// callback; keep the warnings of the current thread to put them in the error.
thread_local std::string libbpf_messages;
int CaptureLibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  int n = vsnprintf(line, sizeof(line), format, args);
  if (libbpf_messages.size() < 8192) libbpf_messages.append(line);
  return n;
}

// ---- RAII -----------------------------------------------------------------

struct SkeletonDeleter {
  void operator()(fault_bpf* skel) const { fault_bpf__destroy(skel); }
};
using Skeleton = std::unique_ptr<fault_bpf, SkeletonDeleter>;

// A shared mapping of an mmapable BPF map. It outlives the map's fd (the kernel keeps
// the map while mapped) and lives as long as the engine or a JS ArrayBuffer needs it.
class Mapping {
 public:
  Mapping(void* addr, size_t length) : addr_(addr), length_(length) {}
  ~Mapping() { Unmap(); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  void Unmap() {
    if (addr_ != nullptr) munmap(addr_, length_);
    addr_ = nullptr;
  }
  void* addr() const { return addr_; }
  size_t length() const { return length_; }
 private:
  void* addr_;
  size_t length_;
};

std::shared_ptr<Mapping> MapShared(int map_fd, size_t bytes, int* err) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t length = (bytes + page - 1) / page * page;
  void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (addr == MAP_FAILED) {
    *err = errno;
    return nullptr;
  }
  return std::make_shared<Mapping>(addr, length);
}

// Everything a loaded engine owns; built off the JS thread by LoadWorker.
struct EngineState {
  Skeleton skel;
  uint32_t max_nodes = 0;
  std::shared_ptr<Mapping> policy;
  std::shared_ptr<Mapping> control;
  int cpus = 0;
  double load_ms = 0;
};

// Marks the External that carries a loaded EngineState to the XdpEngine constructor.
const napi_type_tag kEngineStateTag = {0x70616b6f73746969ULL, 0x7864705f656e6731ULL};

// ---- load -----------------------------------------------------------------

class XdpEngine;

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, Napi::FunctionReference* engine_class, uint32_t max_nodes)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), engine_class_(engine_class),
        max_nodes_(max_nodes) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    auto started = std::chrono::steady_clock::now();
    libbpf_messages.clear();
    auto state = std::make_unique<EngineState>();
    state->max_nodes = max_nodes_;
    state->skel.reset(fault_bpf__open());
    if (!state->skel) return Fail("xdp program open", errno);
    fault_bpf* skel = state->skel.get();
    uint32_t n = max_nodes_;
    uint32_t buffer_words = PK_BUFFER_WORDS(n);
    skel->rodata->max_nodes = n;
    skel->rodata->row_words = PK_ROW_WORDS(n);
    skel->rodata->buffer_words = buffer_words;
    int err = bpf_map__set_max_entries(skel->maps.pk_policy, 2 * buffer_words);
    if (!err) err = bpf_map__set_max_entries(skel->maps.pk_counters, n + 1);
    if (!err) err = bpf_map__set_max_entries(skel->maps.pk_node_index, PK_NODE_ADDRESS_SLOTS(n));
    if (err) return Fail("xdp map sizing", -err);
    err = fault_bpf__load(skel);
    if (err) return Fail("xdp program load", -err);
    state->policy = MapShared(bpf_map__fd(skel->maps.pk_policy), 2 * buffer_words * sizeof(uint64_t), &err);
    if (!state->policy) return Fail("mmap pk_policy", err);
    state->control = MapShared(bpf_map__fd(skel->maps.pk_ctl), sizeof(uint64_t), &err);
    if (!state->control) return Fail("mmap pk_ctl", err);
    state->cpus = libbpf_num_possible_cpus();
    if (state->cpus <= 0) return Fail("count possible cpus", -state->cpus);
    state->load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    state_ = std::move(state);
  }
  void OnOK() override;
  void OnError(const Napi::Error&) override {
    std::string detail = std::string(std::strerror(errno_)) + (libbpf_log_.empty() ? "" : "\n" + libbpf_log_);
    deferred_.Reject(XdpError(Env(), op_, PK_PROG_NAME, errno_, detail).Value());
  }

 private:
  void Fail(const char* op, int err) {
    op_ = op;
    errno_ = err > 0 ? err : EINVAL;
    libbpf_log_ = libbpf_messages;  // OnError runs on the JS thread, which has its own
    SetError(op);
  }
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference* engine_class_;  // per environment, freed by its cleanup hook
  uint32_t max_nodes_;
  std::unique_ptr<EngineState> state_;
  std::string op_;
  std::string libbpf_log_;
  int errno_ = 0;
};

// ---- the JS object --------------------------------------------------------

bool ParseIpv4(const std::string& text, uint32_t* addr) { return inet_pton(AF_INET, text.c_str(), addr) == 1; }

class XdpEngine : public Napi::ObjectWrap<XdpEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "XdpEngine",
                       {InstanceAccessor<&XdpEngine::ProgFd>("progFd"),
                        InstanceAccessor<&XdpEngine::MaxNodes>("maxNodes"),
                        InstanceAccessor<&XdpEngine::LoadMs>("loadMs"),
                        InstanceMethod<&XdpEngine::PolicyBuffer>("policyBuffer"),
                        InstanceMethod<&XdpEngine::ControlBuffer>("controlBuffer"),
                        InstanceMethod<&XdpEngine::SetNodeAddress>("setNodeAddress"),
                        InstanceMethod<&XdpEngine::Counters>("counters"),
                        InstanceMethod<&XdpEngine::TestRunSync>("testRun"),
                        InstanceMethod<&XdpEngine::TestRunRepeat>("testRunRepeat"),
                        InstanceMethod<&XdpEngine::Close>("close")});
  }

  explicit XdpEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XdpEngine>(info) {
    // Only LoadWorker constructs engines: it passes the loaded state as a tagged External.
    if (info.Length() != 1 || !info[0].IsExternal() || !info[0].As<Napi::External<EngineState>>().CheckTypeTag(&kEngineStateTag)) {
      Napi::TypeError::New(info.Env(), "XdpEngine is created by xdpLoadEngine()").ThrowAsJavaScriptException();
      return;
    }
    state_.reset(info[0].As<Napi::External<EngineState>>().Data());
    policy_buffer_ = Napi::Persistent(External(info.Env(), state_->policy));
    control_buffer_ = Napi::Persistent(External(info.Env(), state_->control));
  }

 private:
  // An ArrayBuffer over a mapping; its finalizer holds a reference so the memory stays valid while JS can see it.
  static Napi::ArrayBuffer External(Napi::Env env, const std::shared_ptr<Mapping>& mapping) {
    return Napi::ArrayBuffer::New(
        env, mapping->addr(), mapping->length(),
        [](Napi::Env, void*, std::shared_ptr<Mapping>* hold) { delete hold; },
        new std::shared_ptr<Mapping>(mapping));
  }

  bool Closed(Napi::Env env, const char* op) {
    if (state_) return false;
    XdpError(env, op, PK_PROG_NAME, EBADF, "the fault engine is closed").ThrowAsJavaScriptException();
    return true;
  }
  int prog_fd() const { return bpf_program__fd(state_->skel->progs.pakostii_xdp); }

  Napi::Value ProgFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? prog_fd() : -1);
  }
  Napi::Value MaxNodes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->max_nodes : 0);
  }
  Napi::Value LoadMs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->load_ms : 0);
  }
  Napi::Value PolicyBuffer(const Napi::CallbackInfo& info) {
    if (Closed(info.Env(), "xdp policy buffer")) return info.Env().Undefined();
    return policy_buffer_.Value();
  }
  Napi::Value ControlBuffer(const Napi::CallbackInfo& info) {
    if (Closed(info.Env(), "xdp control buffer")) return info.Env().Undefined();
    return control_buffer_.Value();
  }

  // setNodeAddress(ipv4, index): index < 0 removes the address.
  Napi::Value SetNodeAddress(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Closed(env, "xdp set node address")) return env.Undefined();
    std::string text = info[0].As<Napi::String>().Utf8Value();
    int64_t index = info[1].As<Napi::Number>().Int64Value();
    uint32_t addr;
    if (!ParseIpv4(text, &addr)) {
      XdpError(env, "xdp set node address", text, EINVAL, "not an IPv4 address").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int fd = bpf_map__fd(state_->skel->maps.pk_node_index);
    uint32_t value = static_cast<uint32_t>(index);
    int err = index < 0 ? bpf_map_delete_elem(fd, &addr) : bpf_map_update_elem(fd, &addr, &value, BPF_ANY);
    if (err && !(index < 0 && errno == ENOENT))
      XdpError(env, "xdp set node address", text, errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // BigUint64Array [passed0, dropped0, passed1, …] over node indexes 0..maxNodes (the last is "outside"), summed over CPUs.
  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Closed(env, "xdp counters")) return env.Undefined();
    uint32_t slots = state_->max_nodes + 1;
    Napi::ArrayBuffer out = Napi::ArrayBuffer::New(env, slots * sizeof(pk_counter));
    auto* totals = static_cast<pk_counter*>(out.Data());
    std::vector<pk_counter> per_cpu(state_->cpus);
    int fd = bpf_map__fd(state_->skel->maps.pk_counters);
    for (uint32_t key = 0; key < slots; key++) {
      if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) {
        XdpError(env, "xdp counters read", "pk_counters", errno).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      totals[key] = {0, 0};
      for (const pk_counter& c : per_cpu) {
        totals[key].passed += c.passed;
        totals[key].dropped += c.dropped;
      }
    }
    return Napi::BigUint64Array::New(env, slots * 2, out, 0);
  }

  // testRun(frame, visible = frame.length): the XDP action (1 = XDP_DROP, 2 = XDP_PASS)
  // for one frame of which the program sees `visible` bytes, against the live maps.
  Napi::Value TestRunSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Closed(env, "xdp test run")) return env.Undefined();
    Napi::Uint8Array frame = info[0].As<Napi::Uint8Array>();
    size_t visible = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : frame.ByteLength();
    uint32_t retval, duration;
    int err = TestRun(prog_fd(), frame.Data(), frame.ByteLength(), visible, 1, &retval, &duration);
    if (err) {
      XdpError(env, "xdp test run", PK_PROG_NAME, -err).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, retval);
  }

  // testRunRepeat(frame, repeat): runs on a pool thread, so JS can commit policies meanwhile.
  Napi::Value TestRunRepeat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Closed(env, "xdp test run")) return env.Undefined();
    Napi::Uint8Array frame = info[0].As<Napi::Uint8Array>();
    uint32_t repeat = info[1].As<Napi::Number>().Uint32Value();
    return QueueTestRunRepeat(env, prog_fd(), std::vector<uint8_t>(frame.Data(), frame.Data() + frame.ByteLength()), repeat);
  }

  // Detaches the JS views first so no JS write can reach unmapped memory, then frees everything.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!state_) return info.Env().Undefined();
    for (Napi::Reference<Napi::ArrayBuffer>* ref : {&policy_buffer_, &control_buffer_}) {
      Napi::ArrayBuffer buffer = ref->Value();
      if (!buffer.IsDetached()) buffer.Detach();
      ref->Reset();
    }
    state_->policy->Unmap();
    state_->control->Unmap();
    state_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<EngineState> state_;
  Napi::Reference<Napi::ArrayBuffer> policy_buffer_;
  Napi::Reference<Napi::ArrayBuffer> control_buffer_;
};

void LoadWorker::OnOK() {
  Napi::Env env = Env();
  Napi::External<EngineState> loaded = Napi::External<EngineState>::New(env, state_.release());
  loaded.TypeTag(&kEngineStateTag);
  Napi::Object engine = engine_class_->New({loaded});
  deferred_.Resolve(engine);
}

// xdpLoadEngine(maxNodes): Promise<XdpEngine>
Napi::Value LoadEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t max_nodes = info[0].As<Napi::Number>().Uint32Value();
  if (max_nodes < 1 || max_nodes > PK_MAX_NODES) {
    XdpError(env, "xdp program load", PK_PROG_NAME, EINVAL, "maxNodes must be 1.." + std::to_string(PK_MAX_NODES))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* engine_class = static_cast<Napi::FunctionReference*>(info.Data());
  auto* worker = new LoadWorker(env, engine_class, max_nodes);
  worker->Queue();
  return worker->Promise();
}

}  // namespace
}  // namespace pakostii_xdp

using pakostii_xdp::AttachOrDetach;
using pakostii_xdp::CaptureLibbpfPrint;
using pakostii_xdp::LoadEngine;
using pakostii_xdp::XdpEngine;

void InitXdp(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(CaptureLibbpfPrint);
  Napi::Function engine_class = XdpEngine::Define(env);
  auto* engine_class_ref = new Napi::FunctionReference(Napi::Persistent(engine_class));
  env.AddCleanupHook([engine_class_ref] { delete engine_class_ref; });
  exports.Set("xdpLoadEngine", Napi::Function::New(env, LoadEngine, "xdpLoadEngine", engine_class_ref));
  exports.Set("xdpAttach", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return AttachOrDetach(info, true); }));
  exports.Set("xdpDetach", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return AttachOrDetach(info, false); }));
}
