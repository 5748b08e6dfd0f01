// What the BPF engines (xdp.cc: the fault program, shape.cc: the traffic-class
// classifier, delay_engine.cc: the delay line) share: skeletons and their load
// errors (with libbpf's own explanation), loading off the JS thread into a state
// object handed to the engine's JS class, work on a pool thread, and mmapped BPF
// maps that JS reads and writes as ArrayBuffers (a fault is a write into such a
// buffer, without a syscall).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "errors.h"

namespace pk {

// A loaded (or opened) skeleton, destroyed with its generated destroy function.
template <typename Skel, void (*Destroy)(Skel*)>
struct SkeletonDeleter {
  void operator()(Skel* skel) const { Destroy(skel); }
};
template <typename Skel, void (*Destroy)(Skel*)>
using Skeleton = std::unique_ptr<Skel, SkeletonDeleter<Skel, Destroy>>;

// Routes libbpf's warnings (verifier log, missing BTF…) into a per-thread buffer
// that LoadFailed puts in its error. Called once when the addon loads.
void CaptureLibbpfMessages();
// Forgets what libbpf said on this thread (call before a load).
void ClearLibbpfMessages();
// A failed load step of `program`, with what libbpf said on this thread meanwhile.
[[noreturn]] void LoadFailed(const std::string& op, const char* program, int err);

// A shared mapping of an mmapable BPF map. It outlives the map's fd (the kernel keeps
// the map while mapped) and lives as long as the engine or a JS ArrayBuffer needs it.
class BpfMapping {
 public:
  BpfMapping(void* addr, size_t length) : addr_(addr), length_(length) {}
  ~BpfMapping() { Unmap(); }
  BpfMapping(const BpfMapping&) = delete;
  BpfMapping& operator=(const BpfMapping&) = delete;
  void Unmap();
  void* addr() const { return addr_; }
  size_t length() const { return length_; }

 private:
  void* addr_;
  size_t length_;
};

// Maps the first `bytes` (rounded up to pages) of map `map_fd`, shared and writable.
// Throws SysError("mmap <map_name>", program, errno).
std::shared_ptr<BpfMapping> MapBpfMap(int map_fd, size_t bytes, const std::string& map_name,
                                      const std::string& program);

// An ArrayBuffer over `mapping`; its finalizer holds a reference, so the memory
// stays valid while JS can see it (also after the engine closed).
Napi::ArrayBuffer MappingBuffer(Napi::Env env, const std::shared_ptr<BpfMapping>& mapping);

// Detaches the ArrayBuffer held by `ref` (so no JS write can reach memory about to be
// unmapped) and drops the reference.
void DetachMappingBuffer(Napi::Reference<Napi::ArrayBuffer>& ref);

// Loads a `State` on a pool thread with `load` (which throws SysError), then resolves
// the promise with `engine_class`'s new instance, constructed from the state passed as
// an External tagged `tag` (see TakeEngineState).
template <typename State>
class EngineLoadWorker : public Napi::AsyncWorker {
 public:
  EngineLoadWorker(Napi::Env env, Napi::FunctionReference* engine_class, const napi_type_tag* tag,
                   std::function<void(State&)> load)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        engine_class_(engine_class),
        tag_(tag),
        load_(std::move(load)) {}

  // Queues the worker (which deletes itself once settled) and returns its promise.
  static Napi::Promise Start(Napi::Env env, Napi::FunctionReference* engine_class, const napi_type_tag* tag,
                             std::function<void(State&)> load) {
    auto* worker = new EngineLoadWorker(env, engine_class, tag, std::move(load));
    worker->Queue();
    return worker->deferred_.Promise();
  }

  void Execute() override {
    try {
      auto state = std::make_unique<State>();
      load_(*state);
      state_ = std::move(state);
    } catch (const SysError& error) {
      error_ = error;
      SetError(error.what());
    }
  }
  void OnOK() override {
    Napi::External<State> loaded = Napi::External<State>::New(Env(), state_.release());
    loaded.TypeTag(tag_);
    deferred_.Resolve(engine_class_->New({loaded}));
  }
  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), *error_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference* engine_class_;  // per environment, freed by its cleanup hook
  const napi_type_tag* tag_;
  std::function<void(State&)> load_;
  std::unique_ptr<State> state_;
  std::optional<SysError> error_;
};

// The state an EngineLoadWorker passed to the engine's constructor; nullptr (and a
// pending TypeError "<class_name> is created by <loader>()") for any other caller.
template <typename State>
State* TakeEngineState(const Napi::CallbackInfo& info, const napi_type_tag* tag, const char* class_name,
                       const char* loader) {
  if (info.Length() != 1 || !info[0].IsExternal() || !info[0].As<Napi::External<State>>().CheckTypeTag(tag)) {
    Napi::TypeError::New(info.Env(), std::string(class_name) + " is created by " + loader + "()")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  return info[0].As<Napi::External<State>>().Data();
}

// setNodeAddress(ipv4, index) of an engine: maps the IPv4 address `ipv4` to node
// `index` in the hash map `map_fd`; index < 0 removes it (a missing one is fine).
// Returns the address (network byte order). Throws SysError(op, ipv4, errno).
uint32_t SetNodeAddress(int map_fd, const std::string& op, const std::string& ipv4, int64_t index);

// Runs `work` on a pool thread; the promise resolves with undefined or rejects with its SysError.
class PoolWork : public Napi::AsyncWorker {
 public:
  static Napi::Promise Start(Napi::Env env, std::function<void()> work);
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error&) override;

 private:
  PoolWork(Napi::Env env, std::function<void()> work);
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::optional<SysError> error_;
};

// The JS class of an engine, kept for the loader's lifetime in this environment.
Napi::FunctionReference* KeepEngineClass(Napi::Env env, Napi::Function engine_class);

}  // namespace pk
