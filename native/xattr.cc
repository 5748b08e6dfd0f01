// See xattr.h.
#include "xattr.h"

#include <sys/xattr.h>

#include <cerrno>
#include <string>
#include <vector>

#include "errors.h"

namespace pk {
namespace {

// Attribute values overlayfs and containerd use are a few bytes; 64 KiB is the kernel's limit.
constexpr size_t kMaxValue = 65536;

class XattrWorker : public Napi::AsyncWorker {
 public:
  // `value` set: write it; unset: read.
  XattrWorker(Napi::Env env, std::string path, std::string name, bool write, std::vector<char> value)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        name_(std::move(name)),
        write_(write),
        value_(std::move(value)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (write_) {
      if (lsetxattr(path_.c_str(), name_.c_str(), value_.data(), value_.size(), 0) != 0) Fail("setxattr", errno);
      return;
    }
    value_.resize(kMaxValue);
    ssize_t n = lgetxattr(path_.c_str(), name_.c_str(), value_.data(), value_.size());
    if (n < 0) {
      if (errno == ENODATA) {
        missing_ = true;
        return;
      }
      return Fail("getxattr", errno);
    }
    value_.resize(static_cast<size_t>(n));
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (write_) return deferred_.Resolve(env.Undefined());
    if (missing_) return deferred_.Resolve(env.Null());
    deferred_.Resolve(Napi::Buffer<char>::Copy(env, value_.data(), value_.size()));
  }
  void OnError(const Napi::Error&) override {
    deferred_.Reject(ToJsError(Env(), SysError(op_ + " " + name_, path_, errno_)).Value());
  }

 private:
  void Fail(const char* op, int err) {
    op_ = op;
    errno_ = err;
    SetError(op);
  }
  Napi::Promise::Deferred deferred_;
  std::string path_, name_;
  bool write_;
  std::vector<char> value_;
  bool missing_ = false;
  std::string op_;
  int errno_ = 0;
};

void CheckArgs(const Napi::CallbackInfo& info, size_t count) {
  if (info.Length() < count || !info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(info.Env(), "path and attribute name must be strings");
}

}  // namespace

void InitXattr(Napi::Env env, Napi::Object exports) {
  exports.Set("getXattr", Napi::Function::New(
                              env,
                              [](const Napi::CallbackInfo& info) -> Napi::Value {
                                CheckArgs(info, 2);
                                auto* worker = new XattrWorker(info.Env(), info[0].As<Napi::String>(),
                                                               info[1].As<Napi::String>(), false, {});
                                worker->Queue();
                                return worker->Promise();
                              },
                              "getXattr"));
  exports.Set("setXattr", Napi::Function::New(
                              env,
                              [](const Napi::CallbackInfo& info) -> Napi::Value {
                                CheckArgs(info, 3);
                                if (!info[2].IsBuffer())
                                  throw Napi::TypeError::New(info.Env(), "value must be a Buffer");
                                auto data = info[2].As<Napi::Buffer<char>>();
                                if (data.Length() > kMaxValue)
                                  throw Napi::RangeError::New(info.Env(), "value is longer than 64 KiB");
                                auto* worker =
                                    new XattrWorker(info.Env(), info[0].As<Napi::String>(), info[1].As<Napi::String>(),
                                                    true, std::vector<char>(data.Data(), data.Data() + data.Length()));
                                worker->Queue();
                                return worker->Promise();
                              },
                              "setXattr"));
}

}  // namespace pk
