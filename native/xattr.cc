// See xattr.h.
#include "xattr.h"

#include <sys/xattr.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "binding.h"
#include "errors.h"

namespace pk {
namespace {

// The kernel's limit on one attribute value (XATTR_SIZE_MAX).
constexpr size_t kMaxValue = 65536;

// One lgetxattr or lsetxattr on a pool thread; a SysError becomes the promise's rejection.
class XattrWorker : public Napi::AsyncWorker {
 public:
  // Queues the worker (which deletes itself once settled) and returns its promise.
  // `value` set: write it; unset: read.
  static Napi::Promise Start(Napi::Env env, std::string path, std::string name,
                             std::optional<std::vector<char>> value) {
    auto* worker = new XattrWorker(env, std::move(path), std::move(name), std::move(value));
    worker->Queue();
    return worker->deferred_.Promise();
  }

  void Execute() override {
    try {
      if (write_) {
        if (lsetxattr(path_.c_str(), name_.c_str(), value_.data(), value_.size(), 0) != 0)
          ThrowErrno("setxattr " + name_, path_);
        return;
      }
      value_.resize(kMaxValue);
      ssize_t n = lgetxattr(path_.c_str(), name_.c_str(), value_.data(), value_.size());
      if (n < 0 && errno == ENODATA) {
        missing_ = true;
        return;
      }
      if (n < 0) ThrowErrno("getxattr " + name_, path_);
      value_.resize(static_cast<size_t>(n));
    } catch (const SysError& error) {
      error_ = error;
      SetError(error.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (write_) return deferred_.Resolve(env.Undefined());
    if (missing_) return deferred_.Resolve(env.Null());
    deferred_.Resolve(Napi::Buffer<char>::Copy(env, value_.data(), value_.size()));
  }
  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), *error_).Value()); }

 private:
  XattrWorker(Napi::Env env, std::string path, std::string name, std::optional<std::vector<char>> value)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        name_(std::move(name)),
        write_(value.has_value()),
        value_(value ? std::move(*value) : std::vector<char>()) {}

  Napi::Promise::Deferred deferred_;
  std::string path_, name_;
  bool write_;
  std::vector<char> value_;
  bool missing_ = false;
  std::optional<SysError> error_;
};

}  // namespace

void InitXattr(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "getXattr", [](const Napi::CallbackInfo& info) -> Napi::Value {
    return XattrWorker::Start(info.Env(), StringArg(info, 0, "path"), StringArg(info, 1, "name"), std::nullopt);
  });
  Export(env, exports, "setXattr", [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::string path = StringArg(info, 0, "path");
    std::string name = StringArg(info, 1, "name");
    Napi::Uint8Array bytes = BytesArg(info, 2, "value");
    if (bytes.ByteLength() > kMaxValue) throw SysError("setxattr " + name, path, E2BIG);
    const char* data = reinterpret_cast<const char*>(bytes.Data());
    return XattrWorker::Start(info.Env(), path, name, std::vector<char>(data, data + bytes.ByteLength()));
  });
}

}  // namespace pk
