// Cancelling work that runs on a thread of the addon: the JS thread writes an
// eventfd that the worker polls next to its own fds, so a blocked poll() wakes
// at once. Shared (std::shared_ptr) by the JS cancel() function and the worker
// thread; whoever is last frees it.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include <napi.h>

#include "fd.h"

namespace pk {

struct CancelToken {
  // Only the worker reads it (poll), and only until it calls Close().
  UniqueFd event{eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

  // Idempotent; safe from any thread, also after Close().
  void Cancel() {
    std::lock_guard<std::mutex> hold(mutex_);
    uint64_t one = 1;
    if (event) (void)!write(event.get(), &one, sizeof(one));
  }

  // The worker is done: free the eventfd now, not when JS garbage-collects
  // cancel() (long-lived workers would pile them up). Under the lock, so a late
  // Cancel() never writes to a recycled fd number.
  void Close() {
    std::lock_guard<std::mutex> hold(mutex_);
    event.reset();
  }

 private:
  std::mutex mutex_;
};

// The worker's hold on its token: closes the eventfd when the work ends, on
// every path (return or throw), instead of when JS garbage-collects cancel().
class CancelScope {
 public:
  explicit CancelScope(std::shared_ptr<CancelToken> token) : token_(std::move(token)) {}
  ~CancelScope() { token_->Close(); }
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  std::shared_ptr<CancelToken> token_;
};

// What a cancellable native call returns to JS: { promise, cancel() }.
inline Napi::Object CancellablePromise(Napi::Env env, Napi::Promise promise, std::shared_ptr<CancelToken> cancel) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("promise", promise);
  result.Set("cancel", Napi::Function::New(
                           env,
                           [cancel](const Napi::CallbackInfo& info) -> Napi::Value {
                             cancel->Cancel();
                             return info.Env().Undefined();
                           },
                           "cancel"));
  return result;
}

}  // namespace pk
