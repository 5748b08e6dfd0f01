// See shape.h. One ShapeEngine per run that shapes traffic: the loaded skeleton
// and the shared mapping of its class map (JS writes cells directly).
#include "shape.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "../bpf/pakostii_shape.h"
#include "binding.h"
#include "bpf_engine.h"
#include "errors.h"
#include "shape.skel.h"

namespace pk {
namespace {

struct ShapeState {
  Skeleton<shape_bpf, shape_bpf__destroy> skel;
  uint32_t max_nodes = 0;
  std::shared_ptr<BpfMapping> classes;
};

const napi_type_tag kShapeStateTag = {0x70616b6f73746969ULL, 0x7368617065656e67ULL};

[[noreturn]] void LoadFailed(const char* op, int err) { pk::LoadFailed(op, PK_SHAPE_PROG_NAME, err); }

// Runs on a pool thread.
void LoadShapeState(ShapeState& state, uint32_t max_nodes) {
  ClearLibbpfMessages();
  state.max_nodes = max_nodes;
  state.skel.reset(shape_bpf__open());
  if (!state.skel) LoadFailed("tc classifier open", errno);
  shape_bpf* skel = state.skel.get();
  uint32_t n = max_nodes;
  skel->rodata->max_nodes = n;
  int err = bpf_map__set_max_entries(skel->maps.pk_shape_nodes, n * 4 + 16);
  if (!err) err = bpf_map__set_max_entries(skel->maps.pk_shape_class, n * n);
  if (err) LoadFailed("tc classifier map sizing", -err);
  err = shape_bpf__load(skel);
  if (err) LoadFailed("tc classifier load", -err);
  state.classes = MapBpfMap(bpf_map__fd(skel->maps.pk_shape_class), static_cast<size_t>(n) * n * sizeof(uint64_t),
                            "pk_shape_class", PK_SHAPE_PROG_NAME);
}

class ShapeEngine : public Napi::ObjectWrap<ShapeEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "ShapeEngine",
        {InstanceAccessor<&ShapeEngine::ProgFd>("progFd"), InstanceAccessor<&ShapeEngine::MaxNodes>("maxNodes"),
         InstanceMethod<&ShapeEngine::ClassBuffer>("classBuffer"),
         InstanceMethod<&ShapeEngine::SetNodeAddress>("setNodeAddress"), InstanceMethod<&ShapeEngine::Close>("close")});
  }

  explicit ShapeEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ShapeEngine>(info) {
    state_.reset(TakeEngineState<ShapeState>(info, &kShapeStateTag, "ShapeEngine", "shapeLoadEngine"));
    if (!state_) return;
    buffer_ = Napi::Persistent(MappingBuffer(info.Env(), state_->classes));
  }

 private:
  void CheckOpen(const char* op) const {
    if (!state_) throw SysError(op, PK_SHAPE_PROG_NAME, EBADF, "the shaping engine is closed");
  }
  Napi::Value ProgFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? bpf_program__fd(state_->skel->progs.pakostii_shape) : -1);
  }
  Napi::Value MaxNodes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->max_nodes : 0);
  }
  Napi::Value ClassBuffer(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      CheckOpen("tc class buffer");
      return buffer_.Value();
    });
  }
  // setNodeAddress(ipv4, index): index < 0 removes it.
  Napi::Value SetNodeAddress(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      const char* op = "tc classifier set node address";
      CheckOpen(op);
      std::string ipv4 = StringArg(info, 0, "ipv4");
      int64_t index = Int64Arg(info, 1, "index");
      pk::SetNodeAddress(bpf_map__fd(state_->skel->maps.pk_shape_nodes), op, ipv4, index);
      return info.Env().Undefined();
    });
  }
  // Detaches JS's view, unmaps, destroys the skeleton (filters still attached keep the program alive). Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!state_) return info.Env().Undefined();
    DetachMappingBuffer(buffer_);
    state_->classes->Unmap();
    state_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<ShapeState> state_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

// shapeLoadEngine(maxNodes): Promise<ShapeEngine>
Napi::Value LoadEngine(const Napi::CallbackInfo& info) {
  uint32_t max_nodes = Uint32Arg(info, 0, "maxNodes");
  if (max_nodes < 1 || max_nodes > 4096) {
    throw SysError("tc classifier load", PK_SHAPE_PROG_NAME, EINVAL, "maxNodes must be 1..4096");
  }
  return EngineLoadWorker<ShapeState>::Start(info.Env(), static_cast<Napi::FunctionReference*>(info.Data()),
                                             &kShapeStateTag,
                                             [max_nodes](ShapeState& state) { LoadShapeState(state, max_nodes); });
}

}  // namespace

void InitShape(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "shapeLoadEngine", LoadEngine, KeepEngineClass(env, ShapeEngine::Define(env)));
}

}  // namespace pk
