// See netns_thread.h for why namespace work runs on threads of our own.
#include "netns_thread.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

namespace pk {
namespace {

// The network namespace the process started in; kept open for the process's life
// so JoinNetns("") can come back to it even after the original is unreachable by path.
int g_host_netns_fd = -1;

// One piece of work: its Promise and how it ended. Created on the JS thread,
// filled by the work thread, consumed (and freed) on the JS thread.
struct Job {
  explicit Job(Napi::Promise::Deferred d) : deferred(std::move(d)) {}
  Napi::Promise::Deferred deferred;
  Settle settle;
  std::unique_ptr<SysError> error;
  std::unique_ptr<Aborted> aborted;
  std::string failure;  // any other exception
};

void SettleOnJsThread(Napi::Env env, Napi::Function, std::nullptr_t*, Job* raw) {
  std::unique_ptr<Job> job(raw);
  if (env == nullptr) return;  // the environment is going away: nobody is waiting
  Napi::HandleScope scope(env);
  if (job->error) {
    job->deferred.Reject(ToJsError(env, *job->error).Value());
  } else if (job->aborted) {
    job->deferred.Reject(AbortJsError(env, job->aborted->op, job->aborted->object).Value());
  } else if (!job->failure.empty()) {
    job->deferred.Reject(Napi::Error::New(env, job->failure).Value());
  } else {
    try {
      job->deferred.Resolve(job->settle ? job->settle(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      job->deferred.Reject(e.Value());
    } catch (const SysError& e) {
      job->deferred.Reject(ToJsError(env, e).Value());
    }
  }
}

using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Job, SettleOnJsThread>;

void RunJob(Job* job, const std::string& netns, const std::string& op, const NetnsWork& work) {
  try {
    if (!netns.empty()) JoinNetns(netns, op);
    job->settle = work();
  } catch (const SysError& e) {
    job->error = std::make_unique<SysError>(e);
  } catch (const Aborted& a) {
    job->aborted = std::make_unique<Aborted>(a);
  } catch (const std::exception& e) {
    job->failure = op + ": " + e.what();
  } catch (...) {
    job->failure = op + ": unknown native failure";
  }
}

}  // namespace

std::string NetnsPath(const std::string& name) { return "/run/netns/" + name; }

UniqueFd OpenNetns(const std::string& name, const std::string& op) {
  if (name.empty()) {
    UniqueFd fd(fcntl(g_host_netns_fd, F_DUPFD_CLOEXEC, 0));
    if (!fd) ThrowErrno(op, "host netns");
    return fd;
  }
  CheckNetnsName(op, name);
  UniqueFd fd(open(NetnsPath(name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) throw SysError(op, "netns " + name, err, "no network namespace " + NetnsPath(name));
    throw SysError(op, "netns " + name, err);
  }
  return fd;
}

void JoinNetns(const std::string& name, const std::string& op) {
  if (name.empty()) {
    if (setns(g_host_netns_fd, CLONE_NEWNET) != 0) ThrowErrno(op, "host netns");
    return;
  }
  UniqueFd fd = OpenNetns(name, op);
  if (setns(fd.get(), CLONE_NEWNET) != 0) ThrowErrno(op, "netns " + name);
}

Napi::Promise RunInNetns(Napi::Env env, std::string netns, std::string op, NetnsWork work) {
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  auto job = std::make_unique<Job>(deferred);
  Tsfn tsfn = Tsfn::New(env, "pakostii:netns", 0, 1);
  Job* raw = job.release();
  // Kept for the error path: the lambda below takes netns and op by move.
  SysError no_thread(op, netns.empty() ? "host netns" : "netns " + netns, EAGAIN, "cannot start a thread");
  try {
    std::thread([tsfn, raw, netns = std::move(netns), op = std::move(op), work = std::move(work)]() mutable {
      RunJob(raw, netns, op, work);
      if (tsfn.BlockingCall(raw) != napi_ok) delete raw;  // environment gone
      tsfn.Release();
    }).detach();
  } catch (const std::system_error&) {
    // No thread could be started: settle right here.
    std::unique_ptr<Job> owned(raw);
    tsfn.Release();
    owned->deferred.Reject(ToJsError(env, no_thread).Value());
  }
  return promise;
}

void InitNetnsThread(Napi::Env env) {
  if (g_host_netns_fd >= 0) return;
  // /proc/self is the thread group leader: the JS main thread, which never calls setns.
  g_host_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (g_host_netns_fd < 0) {
    throw Napi::Error::New(env, std::string("open /proc/self/ns/net: ") + std::strerror(errno));
  }
}

}  // namespace pk
