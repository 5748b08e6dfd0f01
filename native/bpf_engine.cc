#include "bpf_engine.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace pk {
namespace {

thread_local std::string libbpf_messages;

int CaptureLibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  int n = vsnprintf(line, sizeof(line), format, args);
  if (libbpf_messages.size() < 8192) libbpf_messages.append(line);
  return n;
}

}  // namespace

void CaptureLibbpfMessages() { libbpf_set_print(CaptureLibbpfPrint); }

void ClearLibbpfMessages() { libbpf_messages.clear(); }

void LoadFailed(const std::string& op, const char* program, int err) {
  err = err > 0 ? err : EINVAL;
  throw SysError(op, program, err,
                 std::string(std::strerror(err)) + (libbpf_messages.empty() ? "" : "\n" + libbpf_messages));
}

void BpfMapping::Unmap() {
  if (addr_ != nullptr) munmap(addr_, length_);
  addr_ = nullptr;
}

std::shared_ptr<BpfMapping> MapBpfMap(int map_fd, size_t bytes, const std::string& map_name,
                                      const std::string& program) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t length = (bytes + page - 1) / page * page;
  void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (addr == MAP_FAILED) ThrowErrno("mmap " + map_name, program);
  return std::make_shared<BpfMapping>(addr, length);
}

Napi::ArrayBuffer MappingBuffer(Napi::Env env, const std::shared_ptr<BpfMapping>& mapping) {
  return Napi::ArrayBuffer::New(
      env, mapping->addr(), mapping->length(), [](Napi::Env, void*, std::shared_ptr<BpfMapping>* hold) { delete hold; },
      new std::shared_ptr<BpfMapping>(mapping));
}

void DetachMappingBuffer(Napi::Reference<Napi::ArrayBuffer>& ref) {
  Napi::ArrayBuffer buffer = ref.Value();
  if (!buffer.IsDetached()) buffer.Detach();
  ref.Reset();
}

uint32_t SetNodeAddress(int map_fd, const std::string& op, const std::string& ipv4, int64_t index) {
  uint32_t addr;
  if (inet_pton(AF_INET, ipv4.c_str(), &addr) != 1) throw SysError(op, ipv4, EINVAL, "not an IPv4 address");
  uint32_t value = static_cast<uint32_t>(index);
  int err = index < 0 ? bpf_map_delete_elem(map_fd, &addr) : bpf_map_update_elem(map_fd, &addr, &value, BPF_ANY);
  if (err && !(index < 0 && errno == ENOENT)) ThrowErrno(op, ipv4);
  return addr;
}

PoolWork::PoolWork(Napi::Env env, std::function<void()> work)
    : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)) {}

Napi::Promise PoolWork::Start(Napi::Env env, std::function<void()> work) {
  auto* worker = new PoolWork(env, std::move(work));  // deletes itself once settled
  worker->Queue();
  return worker->deferred_.Promise();
}

void PoolWork::Execute() {
  try {
    work_();
  } catch (const SysError& error) {
    error_ = error;
    SetError(error.what());
  }
}

void PoolWork::OnOK() { deferred_.Resolve(Env().Undefined()); }

void PoolWork::OnError(const Napi::Error&) { deferred_.Reject(ToJsError(Env(), *error_).Value()); }

Napi::FunctionReference* KeepEngineClass(Napi::Env env, Napi::Function engine_class) {
  auto* ref = new Napi::FunctionReference(Napi::Persistent(engine_class));
  env.AddCleanupHook([ref] { delete ref; });
  return ref;
}

}  // namespace pk
