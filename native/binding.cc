#include "binding.h"

#include <cmath>

namespace pk {
namespace {

[[noreturn]] void ThrowType(Napi::Env env, const std::string& what, const char* type) {
  throw Napi::TypeError::New(env, what + " must be " + type);
}

Napi::Value Arg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i ? info[i] : info.Env().Undefined();
}

}  // namespace

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i);
  if (!v.IsString()) ThrowType(info.Env(), what, "a string");
  return v.As<Napi::String>().Utf8Value();
}

double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i);
  if (!v.IsNumber()) ThrowType(info.Env(), what, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  NumberArg(info, i, what);
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  NumberArg(info, i, what);
  return info[i].As<Napi::Number>().Uint32Value();
}

int64_t Int64Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  NumberArg(info, i, what);
  return info[i].As<Napi::Number>().Int64Value();
}

Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i);
  if (!v.IsObject()) ThrowType(info.Env(), what, "an object");
  return v.As<Napi::Object>();
}

Napi::Array ArrayArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i);
  if (!v.IsArray()) ThrowType(info.Env(), what, "an array");
  return v.As<Napi::Array>();
}

Napi::Uint8Array BytesArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowType(info.Env(), what, "a Uint8Array");
  }
  return v.As<Napi::Uint8Array>();
}

std::string NetnsArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = Arg(info, i);
  if (v.IsUndefined() || v.IsNull()) return "";
  return StringArg(info, i, "netns");
}

std::string StringField(Napi::Object object, const char* key) {
  Napi::Value v = object.Get(key);
  if (!v.IsString()) ThrowType(object.Env(), key, "a string");
  return v.As<Napi::String>().Utf8Value();
}

double NumberField(Napi::Object object, const char* key, double fallback) {
  Napi::Value v = object.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) ThrowType(object.Env(), key, "a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < 0) ThrowType(object.Env(), key, "a finite number >= 0");
  return d;
}

}  // namespace pk
