// See shape.h. One ShapeEngine per run that shapes traffic: the loaded skeleton
// and the shared mapping of its class map (JS writes cells directly).
#include "shape.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "../bpf/pakostii_shape.h"
#include "errors.h"
#include "shape.skel.h"

namespace pk {
namespace {

struct SkeletonDeleter {
  void operator()(shape_bpf* skel) const { shape_bpf__destroy(skel); }
};

// The class map's shared mapping; JS's ArrayBuffer keeps it alive after close() detached it.
class ClassMapping {
 public:
  ClassMapping(void* addr, size_t length) : addr_(addr), length_(length) {}
  ~ClassMapping() { Unmap(); }
  ClassMapping(const ClassMapping&) = delete;
  ClassMapping& operator=(const ClassMapping&) = delete;
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

struct ShapeState {
  std::unique_ptr<shape_bpf, SkeletonDeleter> skel;
  uint32_t max_nodes = 0;
  std::shared_ptr<ClassMapping> classes;
};

const napi_type_tag kShapeStateTag = {0x70616b6f73746969ULL, 0x7368617065656e67ULL};

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, Napi::FunctionReference* engine_class, uint32_t max_nodes)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), engine_class_(engine_class),
        max_nodes_(max_nodes) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    auto state = std::make_unique<ShapeState>();
    state->max_nodes = max_nodes_;
    state->skel.reset(shape_bpf__open());
    if (!state->skel) return Fail("tc classifier open", errno);
    shape_bpf* skel = state->skel.get();
    uint32_t n = max_nodes_;
    skel->rodata->max_nodes = n;
    int err = bpf_map__set_max_entries(skel->maps.pk_shape_nodes, n * 4 + 16);
    if (!err) err = bpf_map__set_max_entries(skel->maps.pk_shape_class, n * n);
    if (err) return Fail("tc classifier map sizing", -err);
    err = shape_bpf__load(skel);
    if (err) return Fail("tc classifier load", -err);
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t length = (static_cast<size_t>(n) * n * sizeof(uint64_t) + page - 1) / page * page;
    void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.pk_shape_class), 0);
    if (addr == MAP_FAILED) return Fail("mmap pk_shape_class", errno);
    state->classes = std::make_shared<ClassMapping>(addr, length);
    state_ = std::move(state);
  }
  void OnOK() override;
  void OnError(const Napi::Error&) override {
    deferred_.Reject(ToJsError(Env(), SysError(op_, PK_SHAPE_PROG_NAME, errno_)).Value());
  }

 private:
  void Fail(const char* op, int err) {
    op_ = op;
    errno_ = err > 0 ? err : EINVAL;
    SetError(op);
  }
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference* engine_class_;
  uint32_t max_nodes_;
  std::unique_ptr<ShapeState> state_;
  std::string op_;
  int errno_ = 0;
};

class ShapeEngine : public Napi::ObjectWrap<ShapeEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ShapeEngine",
                       {InstanceAccessor<&ShapeEngine::ProgFd>("progFd"),
                        InstanceAccessor<&ShapeEngine::MaxNodes>("maxNodes"),
                        InstanceMethod<&ShapeEngine::ClassBuffer>("classBuffer"),
                        InstanceMethod<&ShapeEngine::SetNodeAddress>("setNodeAddress"),
                        InstanceMethod<&ShapeEngine::Close>("close")});
  }

  explicit ShapeEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ShapeEngine>(info) {
    if (info.Length() != 1 || !info[0].IsExternal() ||
        !info[0].As<Napi::External<ShapeState>>().CheckTypeTag(&kShapeStateTag)) {
      Napi::TypeError::New(info.Env(), "ShapeEngine is created by shapeLoadEngine()").ThrowAsJavaScriptException();
      return;
    }
    state_.reset(info[0].As<Napi::External<ShapeState>>().Data());
    std::shared_ptr<ClassMapping> mapping = state_->classes;
    buffer_ = Napi::Persistent(Napi::ArrayBuffer::New(
        info.Env(), mapping->addr(), mapping->length(),
        [](Napi::Env, void*, std::shared_ptr<ClassMapping>* hold) { delete hold; }, new std::shared_ptr<ClassMapping>(mapping)));
  }

 private:
  bool Closed(Napi::Env env, const char* op) {
    if (state_) return false;
    ToJsError(env, SysError(op, PK_SHAPE_PROG_NAME, EBADF, "the shaping engine is closed")).ThrowAsJavaScriptException();
    return true;
  }
  Napi::Value ProgFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? bpf_program__fd(state_->skel->progs.pakostii_shape) : -1);
  }
  Napi::Value MaxNodes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->max_nodes : 0);
  }
  Napi::Value ClassBuffer(const Napi::CallbackInfo& info) {
    if (Closed(info.Env(), "tc class buffer")) return info.Env().Undefined();
    return buffer_.Value();
  }
  // setNodeAddress(ipv4, index): index < 0 removes it.
  Napi::Value SetNodeAddress(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Closed(env, "tc classifier set node address")) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "setNodeAddress(ipv4: string, index: number)");
    }
    std::string text = info[0].As<Napi::String>().Utf8Value();
    int64_t index = info[1].As<Napi::Number>().Int64Value();
    uint32_t addr;
    if (inet_pton(AF_INET, text.c_str(), &addr) != 1) {
      throw ToJsError(env, SysError("tc classifier set node address", text, EINVAL, "not an IPv4 address"));
    }
    int fd = bpf_map__fd(state_->skel->maps.pk_shape_nodes);
    uint32_t value = static_cast<uint32_t>(index);
    int err = index < 0 ? bpf_map_delete_elem(fd, &addr) : bpf_map_update_elem(fd, &addr, &value, BPF_ANY);
    if (err && !(index < 0 && errno == ENOENT)) throw ToJsError(env, SysError("tc classifier set node address", text, errno));
    return env.Undefined();
  }
  // Detaches JS's view, unmaps, destroys the skeleton (filters still attached keep the program alive). Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!state_) return info.Env().Undefined();
    Napi::ArrayBuffer buffer = buffer_.Value();
    if (!buffer.IsDetached()) buffer.Detach();
    buffer_.Reset();
    state_->classes->Unmap();
    state_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<ShapeState> state_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

void LoadWorker::OnOK() {
  Napi::Env env = Env();
  Napi::External<ShapeState> loaded = Napi::External<ShapeState>::New(env, state_.release());
  loaded.TypeTag(&kShapeStateTag);
  deferred_.Resolve(engine_class_->New({loaded}));
}

}  // namespace

void InitShape(Napi::Env env, Napi::Object exports) {
  Napi::Function engine_class = ShapeEngine::Define(env);
  auto* engine_class_ref = new Napi::FunctionReference(Napi::Persistent(engine_class));
  env.AddCleanupHook([engine_class_ref] { delete engine_class_ref; });
  // shapeLoadEngine(maxNodes): Promise<ShapeEngine>
  exports.Set("shapeLoadEngine", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "maxNodes must be a number");
    uint32_t max_nodes = info[0].As<Napi::Number>().Uint32Value();
    if (max_nodes < 1 || max_nodes > 4096) throw ToJsError(env, SysError("tc classifier load", PK_SHAPE_PROG_NAME, EINVAL, "maxNodes must be 1..4096"));
    auto* worker = new LoadWorker(env, static_cast<Napi::FunctionReference*>(info.Data()), max_nodes);
    worker->Queue();
    return worker->Promise();
  }, "shapeLoadEngine", engine_class_ref));
}

}  // namespace pk
