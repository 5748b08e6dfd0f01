// See timer.h.
#include "timer.h"

#include <pthread.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "binding.h"
#include "mono_clock.h"

namespace pk {
namespace {

// The longest a timerSpinUntil may block its thread.
constexpr uint64_t kMaxSpinNs = 10000000;

// A deadline of the heap: (when, wait id). Ordered by time, then by id (the order of timerWake calls).
using Due = std::pair<uint64_t, uint64_t>;
using DueIds = std::vector<uint64_t>;

class Timer;
void SettleDue(Napi::Env env, Napi::Function, Timer* timer, DueIds* raw);
using Tsfn = Napi::TypedThreadSafeFunction<Timer, DueIds, SettleDue>;

class Timer {
 public:
  explicit Timer(Napi::Env env) {
    tsfn_ = Tsfn::New(env, "pakostii:timer", 0, 1, this);
    tsfn_.Unref(env);  // idle until a wait is pending
    thread_ = std::thread([this] { Run(); });
  }

  // On the JS thread, at env cleanup: no JS runs any more, so pending waits are just dropped.
  ~Timer() {
    {
      std::lock_guard<std::mutex> hold(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
    tsfn_.Release();
  }

  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // JS thread.
  Napi::Value Wake(Napi::Env env, uint64_t deadline) {
    uint64_t id = next_id_++;
    auto deferred = Napi::Promise::Deferred::New(env);
    Napi::Promise promise = deferred.Promise();
    if (pending_.empty()) tsfn_.Ref(env);
    pending_.emplace(id, Pending{deadline, deferred});
    bool earliest;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      earliest = heap_.empty() || Due{deadline, id} < *heap_.begin();
      heap_.emplace(deadline, id);
    }
    if (earliest) wake_.notify_one();
    Napi::Object wait = Napi::Object::New(env);
    wait.Set("promise", promise);
    wait.Set("cancel", Napi::Function::New(
                           env,
                           [this, id](const Napi::CallbackInfo& info) -> Napi::Value {
                             Cancel(info.Env(), id);
                             return info.Env().Undefined();
                           },
                           "cancel"));
    return wait;
  }

  // JS thread: the thread found these due (the heap no longer has them).
  void Settle(Napi::Env env, const DueIds& ids) {
    for (uint64_t id : ids) {
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;  // cancelled after the thread took it
      Napi::Promise::Deferred deferred = it->second.deferred;
      pending_.erase(it);
      deferred.Resolve(Napi::Boolean::New(env, true));
    }
    if (pending_.empty()) tsfn_.Unref(env);
  }

 private:
  struct Pending {
    uint64_t deadline;
    Napi::Promise::Deferred deferred;
  };

  // JS thread. Idempotent; a wait already settled is left alone.
  void Cancel(Napi::Env env, uint64_t id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    {
      // An earlier deadline gone only makes the thread wake once for nothing: no notify.
      std::lock_guard<std::mutex> hold(mutex_);
      heap_.erase(Due{it->second.deadline, id});
    }
    Napi::Promise::Deferred deferred = it->second.deferred;
    pending_.erase(it);
    deferred.Resolve(Napi::Boolean::New(env, false));
    if (pending_.empty()) tsfn_.Unref(env);
  }

  void Run() {
    // Timers of this thread fire when asked, not up to 50 µs later (the default slack of normal threads).
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    pthread_setname_np(pthread_self(), "pk-timer");
    // A normal thread on purpose: as SCHED_FIFO its wake-ups were no earlier, and the JS
    // thread it wakes came ~80 µs later (median, measured on a 2-vCPU VM).
    std::unique_lock<std::mutex> hold(mutex_);
    while (!stop_) {
      if (heap_.empty()) {
        wake_.wait(hold);
        continue;
      }
      uint64_t now = MonoNowNs();
      auto due = std::make_unique<DueIds>();
      while (!heap_.empty() && heap_.begin()->first <= now) {
        due->push_back(heap_.begin()->second);
        heap_.erase(heap_.begin());
      }
      if (due->empty()) {
        // libstdc++ waits on a steady_clock time point with pthread_cond_clockwait(CLOCK_MONOTONIC):
        // the time point since steady_clock's epoch is the CLOCK_MONOTONIC reading itself.
        std::chrono::steady_clock::time_point at{std::chrono::nanoseconds(heap_.begin()->first)};
        wake_.wait_until(hold, at);
        continue;
      }
      hold.unlock();
      // Fails only while the environment goes away, when nobody waits any more.
      if (tsfn_.NonBlockingCall(due.get()) == napi_ok) due.release();
      hold.lock();
    }
  }

  Tsfn tsfn_;
  // JS thread only: the waits not yet settled, by id.
  std::unordered_map<uint64_t, Pending> pending_;
  uint64_t next_id_ = 0;

  // Shared with the thread.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<Due> heap_;
  bool stop_ = false;
  std::thread thread_;
};

void SettleDue(Napi::Env env, Napi::Function, Timer* timer, DueIds* raw) {
  std::unique_ptr<DueIds> ids(raw);
  if (env == nullptr) return;  // the environment is going away
  Napi::HandleScope scope(env);
  timer->Settle(env, *ids);
}

// The exports' data: the environment's timer, started on first use.
struct TimerSlot {
  std::unique_ptr<Timer> timer;
};

uint64_t DeadlineArg(const Napi::CallbackInfo& info) {
  Napi::Value v = info.Length() > 0 ? info[0] : info.Env().Undefined();
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t ns = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(info.Env(), "deadlineNs must fit in 64 bits, >= 0");
    return ns;
  }
  double ns = NumberArg(info, 0, "deadlineNs");
  if (!(ns >= 0) || ns >= 18446744073709551616.0)
    throw Napi::RangeError::New(info.Env(), "deadlineNs must fit in 64 bits, >= 0");
  return static_cast<uint64_t>(ns);
}

}  // namespace

void InitTimer(Napi::Env env, Napi::Object exports) {
  auto* slot = new TimerSlot();
  // Runs after the cleanup hook of a timer started later (hooks run last-added first).
  env.AddCleanupHook([slot] { delete slot; });
  Export(
      env, exports, "timerWake",
      [](const Napi::CallbackInfo& info) -> Napi::Value {
        auto* slot = static_cast<TimerSlot*>(info.Data());
        uint64_t deadline = DeadlineArg(info);
        if (!slot->timer) {
          Napi::Env env = info.Env();
          try {
            slot->timer = std::make_unique<Timer>(env);
          } catch (const std::system_error& e) {
            throw SysError("timerWake", "timer thread", e.code().value(), "cannot start a thread");
          }
          // Added after the thread-safe function's own hook, so it runs first: the thread
          // is joined while the function can still be called (it answers napi_closing).
          env.AddCleanupHook([slot] { slot->timer.reset(); });
        }
        return slot->timer->Wake(info.Env(), deadline);
      },
      slot);
  // Blocks the calling (JS) thread until the deadline, spinning: the last stretch of a precise
  // wait, after timerWake woke it a little early. Capped, so a wrong deadline cannot hang the
  // thread; JS spinning on a clock would allocate a number per reading and feed the collector.
  Export(env, exports, "timerSpinUntil", [](const Napi::CallbackInfo& info) -> Napi::Value {
    uint64_t deadline = DeadlineArg(info);
    uint64_t start = MonoNowNs();
    uint64_t until = std::min(deadline, start + kMaxSpinNs);
    while (MonoNowNs() < until) {
    }
    return Napi::Boolean::New(info.Env(), MonoNowNs() >= deadline);
  });
}

}  // namespace pk
