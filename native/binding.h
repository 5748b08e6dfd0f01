// The JS side of every export: reading arguments, registering functions, and the
// one place where a pk::SysError thrown by a binding becomes the JS error.
//
// Style, for every file of the addon: kernel work and argument checks throw
// pk::SysError (op, object, errno); a wrong argument type throws Napi::TypeError
// "<what> must be a <type>". Bindings registered with Export (or whose body runs
// in Guarded) turn SysError into the JS error of errors.h, so no binding converts
// by hand. node-addon-api passes Napi::Error through but would terminate the
// process on any other C++ exception: hence the guard.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "errors.h"

namespace pk {

// ---- arguments ------------------------------------------------------------------

// Argument `i`; a missing argument or a wrong type throws TypeError "<what> must be a <type>".
std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what);
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* what);
int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* what);
uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t i, const char* what);
int64_t Int64Arg(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Array ArrayArg(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Uint8Array BytesArg(const Napi::CallbackInfo& info, size_t i, const char* what);
// An optional network namespace name: undefined or null is "" (the host namespace).
std::string NetnsArg(const Napi::CallbackInfo& info, size_t i);

// Field `key` of an object argument; a wrong type throws TypeError "<key> must be a <type>".
std::string StringField(Napi::Object object, const char* key);
// Undefined is `fallback`; anything else must be a finite number >= 0.
double NumberField(Napi::Object object, const char* key, double fallback);

// ---- errors and registration ----------------------------------------------------

// Runs `body` (returning Napi::Value); a SysError it throws becomes the JS error.
template <typename Body>
Napi::Value Guarded(Napi::Env env, Body&& body) {
  try {
    return body();
  } catch (const SysError& error) {
    throw ToJsError(env, error);
  }
}

// Sets exports[name] to a function running body(info) under Guarded; `data` is info.Data().
template <typename Body>
void Export(Napi::Env env, Napi::Object exports, const char* name, Body body, void* data = nullptr) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [body](const Napi::CallbackInfo& info) -> Napi::Value {
                          return Guarded(info.Env(), [&]() -> Napi::Value { return body(info); });
                        },
                        name, data));
}

}  // namespace pk
