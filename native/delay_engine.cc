// See delay_engine.h. JS calls: setNodeAddress and setProfile (sync, map and
// memory writes), addLink (a socket on a host-side veth, bound on a pool thread:
// the pool threads stay in the host namespace, where those veths are), counters
// (sync), close (stops the thread and frees everything, on a pool thread).
#include "delay_engine.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "../bpf/pakostii_delay.h"
#include "delay.skel.h"
#include "delay_line.h"
#include "errors.h"
#include "xsk_socket.h"

namespace pk {
namespace {

struct SkeletonDeleter {
  void operator()(delay_bpf* skel) const { delay_bpf__destroy(skel); }
};

// Owned together so a pool thread (addLink, close) can keep it alive. Members
// are destroyed in reverse order: the line (thread, sockets) first, then the
// pair-map mapping it reads, then the program and its maps.
struct DelayState {
  std::unique_ptr<delay_bpf, SkeletonDeleter> skel;
  uint32_t max_nodes = 0;
  Mapping pairs;
  std::unique_ptr<DelayLine> line;
  std::mutex links_mu;  // the XSKMAP and link-map updates of concurrent addLink calls
};

const napi_type_tag kDelayStateTag = {0x70616b6f73746969ULL, 0x64656c61796c6e65ULL};

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, Napi::FunctionReference* engine_class, uint32_t max_nodes)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        engine_class_(engine_class),
        max_nodes_(max_nodes) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      auto state = std::make_shared<DelayState>();
      uint32_t n = max_nodes_;
      state->max_nodes = n;
      state->skel.reset(delay_bpf__open());
      if (!state->skel) ThrowErrno("delay program open", PK_DELAY_PROG_NAME);
      delay_bpf* skel = state->skel.get();
      skel->rodata->max_nodes = n;
      int err = bpf_map__set_max_entries(skel->maps.pk_delay_nodes, n * 4 + 16);
      if (!err) err = bpf_map__set_max_entries(skel->maps.pk_delay_pairs, n * n);
      if (!err) err = bpf_map__set_max_entries(skel->maps.pk_delay_links, n);
      if (!err) err = bpf_map__set_max_entries(skel->maps.pk_delay_xsks, n);
      if (err) throw SysError("delay program map sizing", PK_DELAY_PROG_NAME, -err);
      err = delay_bpf__load(skel);
      if (err) throw SysError("delay program load", PK_DELAY_PROG_NAME, -err);
      size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      size_t length = (static_cast<size_t>(n) * n * sizeof(uint64_t) + page - 1) / page * page;
      void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.pk_delay_pairs), 0);
      if (addr == MAP_FAILED) ThrowErrno("mmap pk_delay_pairs", PK_DELAY_PROG_NAME);
      state->pairs = Mapping(addr, length);
      state->line = std::make_unique<DelayLine>(n, static_cast<const uint64_t*>(addr));
      state_ = std::move(state);
    } catch (const SysError& error) {
      error_ = std::make_unique<SysError>(error);
      SetError(error.what());
    }
  }
  void OnOK() override;
  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), *error_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference* engine_class_;
  uint32_t max_nodes_;
  std::shared_ptr<DelayState> state_;
  std::unique_ptr<SysError> error_;
};

// addLink(ifname, node): binds a socket to the veth and points the program at it.
class AddLinkWorker : public Napi::AsyncWorker {
 public:
  AddLinkWorker(Napi::Env env, std::shared_ptr<DelayState> state, std::string ifname, uint32_t node)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        state_(std::move(state)),
        ifname_(std::move(ifname)),
        node_(node) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      auto socket = std::make_shared<XskSocket>(ifname_);
      std::lock_guard<std::mutex> lock(state_->links_mu);
      if (!state_->line) throw SysError("delay line add link", ifname_, EBADF, "the delay line is closed");
      int fd = socket->fd();
      uint32_t ifindex = static_cast<uint32_t>(socket->ifindex());
      if (bpf_map_update_elem(bpf_map__fd(state_->skel->maps.pk_delay_xsks), &node_, &fd, BPF_ANY) != 0)
        ThrowErrno("delay line socket map", ifname_);
      if (bpf_map_update_elem(bpf_map__fd(state_->skel->maps.pk_delay_links), &ifindex, &node_, BPF_ANY) != 0)
        ThrowErrno("delay line link map", ifname_);
      state_->line->AddLink(node_, std::move(socket));
    } catch (const SysError& error) {
      error_ = std::make_unique<SysError>(error);
      SetError(error.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), *error_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<DelayState> state_;
  std::string ifname_;
  uint32_t node_;
  std::unique_ptr<SysError> error_;
};

// close(): the last reference to the state goes here, off the JS thread (joins the line thread, closes sockets).
class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, std::shared_ptr<DelayState> state)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), state_(std::move(state)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    if (!state_) return;
    std::lock_guard<std::mutex> lock(state_->links_mu);
    state_->line.reset();       // stops the thread, closes the sockets (rings, umem)
    state_->pairs = Mapping();  // a mapped BPF map would outlive its fd
    state_->skel.reset();       // program and maps
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<DelayState> state_;
};

DelayDistribution ParseDistribution(const std::string& name) {
  if (name == "normal") return DelayDistribution::kNormal;
  if (name == "pareto") return DelayDistribution::kPareto;
  return DelayDistribution::kUniform;
}

class DelayEngine : public Napi::ObjectWrap<DelayEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "DelayEngine",
        {InstanceAccessor<&DelayEngine::ProgFd>("progFd"), InstanceAccessor<&DelayEngine::MaxNodes>("maxNodes"),
         InstanceMethod<&DelayEngine::PairBuffer>("pairBuffer"),
         InstanceMethod<&DelayEngine::SetNodeAddress>("setNodeAddress"),
         InstanceMethod<&DelayEngine::SetProfile>("setProfile"), InstanceMethod<&DelayEngine::AddLink>("addLink"),
         InstanceMethod<&DelayEngine::Counters>("counters"), InstanceMethod<&DelayEngine::Close>("close")});
  }

  explicit DelayEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DelayEngine>(info) {
    if (info.Length() != 1 || !info[0].IsExternal() ||
        !info[0].As<Napi::External<std::shared_ptr<DelayState>>>().CheckTypeTag(&kDelayStateTag)) {
      throw Napi::TypeError::New(info.Env(), "DelayEngine is created by delayLoadLine()");
    }
    auto* carried = info[0].As<Napi::External<std::shared_ptr<DelayState>>>().Data();
    state_ = std::move(*carried);
    delete carried;
    // JS's view of the pair map keeps the state (and so the mapping) alive until it is collected.
    auto* hold = new std::shared_ptr<DelayState>(state_);
    buffer_ = Napi::Persistent(Napi::ArrayBuffer::New(
        info.Env(), state_->pairs.addr(), state_->pairs.length(),
        [](Napi::Env, void*, std::shared_ptr<DelayState>* held) { delete held; }, hold));
  }

 private:
  DelayState& Open(Napi::Env env, const char* op) {
    if (!state_ || !state_->line)
      throw ToJsError(env, SysError(op, PK_DELAY_PROG_NAME, EBADF, "the delay line is closed"));
    return *state_;
  }
  Napi::Value ProgFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? bpf_program__fd(state_->skel->progs.pakostii_delay) : -1);
  }
  Napi::Value MaxNodes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), state_ ? state_->max_nodes : 0);
  }
  Napi::Value PairBuffer(const Napi::CallbackInfo& info) {
    Open(info.Env(), "delay pair buffer");
    return buffer_.Value();
  }
  // setNodeAddress(ipv4, index): index < 0 removes it.
  Napi::Value SetNodeAddress(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DelayState& state = Open(env, "delay line set node address");
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "setNodeAddress(ipv4: string, index: number)");
    std::string text = info[0].As<Napi::String>().Utf8Value();
    int64_t index = info[1].As<Napi::Number>().Int64Value();
    uint32_t addr;
    if (inet_pton(AF_INET, text.c_str(), &addr) != 1)
      throw ToJsError(env, SysError("delay line set node address", text, EINVAL, "not an IPv4 address"));
    int fd = bpf_map__fd(state.skel->maps.pk_delay_nodes);
    uint32_t value = static_cast<uint32_t>(index);
    int err = index < 0 ? bpf_map_delete_elem(fd, &addr) : bpf_map_update_elem(fd, &addr, &value, BPF_ANY);
    if (err && !(index < 0 && errno == ENOENT))
      throw ToJsError(env, SysError("delay line set node address", text, errno));
    state.line->SetNodeAddress(addr, index);
    return env.Undefined();
  }
  // setProfile(id, { delayNs, jitterNs, distribution, duplicatePercent, reorderPercent }).
  Napi::Value SetProfile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DelayState& state = Open(env, "delay line set profile");
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsObject())
      throw Napi::TypeError::New(env, "setProfile(id: number, profile: object)");
    uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    if (id == 0 || id > PK_DELAY_MAX_PROFILE)
      throw ToJsError(env, SysError("delay line set profile", std::to_string(id), EINVAL, "profile ids are 1..65535"));
    Napi::Object o = info[1].As<Napi::Object>();
    auto number = [&](const char* key) {
      Napi::Value v = o.Get(key);
      return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0.0;
    };
    DelayProfile p;
    p.delay_ns = static_cast<uint64_t>(number("delayNs"));
    p.jitter_ns = static_cast<uint64_t>(number("jitterNs"));
    Napi::Value distribution = o.Get("distribution");
    p.distribution = ParseDistribution(distribution.IsString() ? distribution.As<Napi::String>().Utf8Value() : "");
    p.duplicate = number("duplicatePercent") / 100.0;
    p.reorder = number("reorderPercent") / 100.0;
    state.line->SetProfile(id, p);
    return env.Undefined();
  }
  Napi::Value AddLink(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Open(env, "delay line add link");
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "addLink(ifname: string, node: number)");
    uint32_t node = info[1].As<Napi::Number>().Uint32Value();
    if (node >= state_->max_nodes)
      throw ToJsError(env, SysError("delay line add link", std::to_string(node), EINVAL, "node index out of range"));
    auto* worker = new AddLinkWorker(env, state_, info[0].As<Napi::String>().Utf8Value(), node);
    worker->Queue();
    return worker->Promise();
  }
  // { received, sent, dropped, duplicated, held, links, lateNsMax }
  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DelayLineCounters c = Open(env, "delay line counters").line->Counters();
    Napi::Object out = Napi::Object::New(env);
    out.Set("received", static_cast<double>(c.received));
    out.Set("sent", static_cast<double>(c.sent));
    out.Set("dropped", static_cast<double>(c.dropped));
    out.Set("duplicated", static_cast<double>(c.duplicated));
    out.Set("held", static_cast<double>(c.held));
    out.Set("links", static_cast<double>(c.links));
    out.Set("lateNsMax", static_cast<double>(c.late_ns_max));
    return out;
  }
  // Detaches JS's view, then stops the line and frees sockets, umem, thread, program off the JS thread. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!buffer_.IsEmpty()) {
      Napi::ArrayBuffer buffer = buffer_.Value();
      if (!buffer.IsDetached()) buffer.Detach();
      buffer_.Reset();
    }
    auto* worker = new CloseWorker(env, std::move(state_));
    state_.reset();
    worker->Queue();
    return worker->Promise();
  }

  std::shared_ptr<DelayState> state_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

void LoadWorker::OnOK() {
  Napi::Env env = Env();
  auto loaded =
      Napi::External<std::shared_ptr<DelayState>>::New(env, new std::shared_ptr<DelayState>(std::move(state_)));
  loaded.TypeTag(&kDelayStateTag);
  deferred_.Resolve(engine_class_->New({loaded}));
}

}  // namespace

void InitDelayEngine(Napi::Env env, Napi::Object exports) {
  Napi::Function engine_class = DelayEngine::Define(env);
  auto* engine_class_ref = new Napi::FunctionReference(Napi::Persistent(engine_class));
  env.AddCleanupHook([engine_class_ref] { delete engine_class_ref; });
  // delayLoadLine(maxNodes): Promise<DelayEngine>
  exports.Set("delayLoadLine",
              Napi::Function::New(
                  env,
                  [](const Napi::CallbackInfo& info) -> Napi::Value {
                    Napi::Env env = info.Env();
                    if (info.Length() < 1 || !info[0].IsNumber())
                      throw Napi::TypeError::New(env, "maxNodes must be a number");
                    uint32_t max_nodes = info[0].As<Napi::Number>().Uint32Value();
                    if (max_nodes < 1 || max_nodes > 4096)
                      throw ToJsError(
                          env, SysError("delay program load", PK_DELAY_PROG_NAME, EINVAL, "maxNodes must be 1..4096"));
                    auto* worker = new LoadWorker(env, static_cast<Napi::FunctionReference*>(info.Data()), max_nodes);
                    worker->Queue();
                    return worker->Promise();
                  },
                  "delayLoadLine", engine_class_ref));
}

}  // namespace pk
