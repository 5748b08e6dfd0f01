// Errors of the native addon. Kernel work throws pk::SysError (operation, object,
// errno); the JS boundary turns it into a JS Error with `op`, `object`, `errno`,
// `code` and the message "<op> <object>: <strerror or detail>", which
// lib/native/errors.ts converts into a NativeError with a hint for people.
// Bindings throw SysError and let binding.h's Export/Guarded convert it.
#pragma once

#include <napi.h>

#include <exception>
#include <string>

namespace pk {

class SysError : public std::exception {
 public:
  // `detail` replaces strerror(err) in the message when the errno alone would mislead.
  SysError(std::string op, std::string object, int err, std::string detail = "");

  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& op() const { return op_; }
  const std::string& object() const { return object_; }
  int err() const { return err_; }

 private:
  std::string op_, object_;
  int err_;
  std::string message_;
};

// Thrown by work that stopped because its AbortSignal fired; becomes AbortJsError.
struct Aborted {
  std::string op, object;
};

// Throws SysError with the current errno.
[[noreturn]] void ThrowErrno(const std::string& op, const std::string& object);

// "EEXIST" for EEXIST ("EUNKNOWN" when the libc has no name for it).
const char* ErrnoName(int err);

// The JS Error for `error` (properties op, object, errno, code).
Napi::Error ToJsError(Napi::Env env, const SysError& error);

// The JS Error of an operation aborted through its AbortSignal: name "AbortError", code "ABORT_ERR".
Napi::Error AbortJsError(Napi::Env env, const std::string& op, const std::string& object);

// Checks an interface name before any syscall: 1..15 bytes (IFNAMSIZ - 1), no '/',
// no whitespace, not "." or "..". Throws SysError(op, name, EINVAL, reason).
void CheckIfName(const std::string& op, const std::string& name);

// Checks a network namespace name (a file name under /run/netns). Throws SysError(op, name, EINVAL, reason).
void CheckNetnsName(const std::string& op, const std::string& name);

}  // namespace pk
