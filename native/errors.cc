#include "errors.h"

#include <net/if.h>

#include <cerrno>
#include <cstring>

namespace pk {

SysError::SysError(std::string op, std::string object, int err, std::string detail)
    : op_(std::move(op)), object_(std::move(object)), err_(err) {
  message_ = op_ + " " + object_ + ": " + (detail.empty() ? std::string(std::strerror(err_)) : detail);
}

void ThrowErrno(const std::string& op, const std::string& object) { throw SysError(op, object, errno); }

const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EUNKNOWN";
}

Napi::Error ToJsError(Napi::Env env, const SysError& error) {
  Napi::Error js = Napi::Error::New(env, error.what());
  js.Set("op", error.op());
  js.Set("object", error.object());
  js.Set("errno", Napi::Number::New(env, error.err()));
  js.Set("code", ErrnoName(error.err()));
  return js;
}

Napi::Error AbortJsError(Napi::Env env, const std::string& op, const std::string& object) {
  Napi::Error js = Napi::Error::New(env, op + " " + object + ": aborted");
  js.Set("name", "AbortError");
  js.Set("code", "ABORT_ERR");
  js.Set("op", op);
  return js;
}

void CheckIfName(const std::string& op, const std::string& name) {
  if (name.empty()) throw SysError(op, "\"\"", EINVAL, "interface name is empty");
  if (name.size() >= IFNAMSIZ) {
    throw SysError(op, name, EINVAL,
                   "interface name is " + std::to_string(name.size()) + " bytes; Linux allows at most " +
                       std::to_string(IFNAMSIZ - 1));
  }
  if (name == "." || name == "..") throw SysError(op, name, EINVAL, "not a valid interface name");
  for (char c : name) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) {
      throw SysError(op, name, EINVAL, "interface names cannot contain '/', ':' or whitespace");
    }
  }
}

void CheckNetnsName(const std::string& op, const std::string& name) {
  if (name.empty()) throw SysError(op, "\"\"", EINVAL, "namespace name is empty");
  if (name.size() > 255) throw SysError(op, name.substr(0, 32) + "…", ENAMETOOLONG);
  if (name == "." || name == ".." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos) {
    throw SysError(op, name, EINVAL, "a namespace name is a file name under /run/netns (no '/')");
  }
}

}  // namespace pk
