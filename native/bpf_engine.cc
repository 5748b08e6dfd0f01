#include "bpf_engine.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace pk {

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

void SetNodeAddress(int map_fd, const std::string& op, const std::string& ipv4, int64_t index) {
  uint32_t addr;
  if (inet_pton(AF_INET, ipv4.c_str(), &addr) != 1) throw SysError(op, ipv4, EINVAL, "not an IPv4 address");
  uint32_t value = static_cast<uint32_t>(index);
  int err = index < 0 ? bpf_map_delete_elem(map_fd, &addr) : bpf_map_update_elem(map_fd, &addr, &value, BPF_ANY);
  if (err && !(index < 0 && errno == ENOENT)) ThrowErrno(op, ipv4);
}

Napi::FunctionReference* KeepEngineClass(Napi::Env env, Napi::Function engine_class) {
  auto* ref = new Napi::FunctionReference(Napi::Persistent(engine_class));
  env.AddCleanupHook([ref] { delete ref; });
  return ref;
}

}  // namespace pk
