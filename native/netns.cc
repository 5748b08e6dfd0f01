#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <mutex>
#include <sstream>

#include "binding.h"
#include "errors.h"
#include "fd.h"
#include "netns_thread.h"

namespace pk {
namespace {

constexpr const char* kNetnsDir = "/run/netns";

// State of the mount at `dir` in /proc/self/mountinfo: the topmost entry wins.
enum class MountState { kNotMounted, kPrivate, kShared };

MountState MountStateOf(const std::string& dir) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  MountState state = MountState::kNotMounted;
  while (std::getline(mountinfo, line)) {
    // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point, options, tag;
    if (!(fields >> id >> parent >> dev >> root >> mount_point >> options)) continue;
    if (mount_point != dir) continue;
    state = MountState::kPrivate;
    while (fields >> tag && tag != "-") {
      if (tag.rfind("shared:", 0) == 0) state = MountState::kShared;
    }
  }
  return state;
}

// Bind mounts of namespaces under /run/netns must propagate to every mount
// namespace (containers, other `ip` users), or a namespace could stay pinned by a
// copy of its mount elsewhere after we delete it. `ip netns add` makes the
// directory a shared mount point of its own; do exactly the same, once per process.
void EnsureNetnsDirShared() {
  static std::mutex mutex;
  static bool done = false;
  std::lock_guard<std::mutex> lock(mutex);
  if (done) return;
  if (mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) ThrowErrno("netns dir create", kNetnsDir);
  MountState state = MountStateOf(kNetnsDir);
  if (state == MountState::kNotMounted) {
    if (mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0) {
      ThrowErrno("netns dir bind mount", kNetnsDir);
    }
    state = MountState::kPrivate;
  }
  if (state == MountState::kPrivate && mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    ThrowErrno("netns dir make shared", kNetnsDir);
  }
  done = true;
}

}  // namespace

void CreateNetnsOnThisThread(const std::string& name) {
  const std::string op = "netns create";
  CheckNetnsName(op, name);
  EnsureNetnsDirShared();
  std::string path = NetnsPath(name);
  {
    UniqueFd file(open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
    if (!file) ThrowErrno(op, name);
  }
  // From here on, a failure must not leave the placeholder file behind.
  try {
    if (unshare(CLONE_NEWNET) != 0) ThrowErrno(op, name);
    // /proc/thread-self: this thread's new namespace, not the process's.
    if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) ThrowErrno(op, name);
  } catch (...) {
    unlink(path.c_str());
    throw;
  }
}

void DeleteNetns(const std::string& name) {
  const std::string op = "netns delete";
  CheckNetnsName(op, name);
  std::string path = NetnsPath(name);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    int err = errno;
    throw SysError(op, name, err, err == ENOENT ? "no network namespace " + path : "");
  }
  // EINVAL: not a mount point (a half-created namespace); the unlink still cleans it up.
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL) ThrowErrno(op, name);
  if (unlink(path.c_str()) != 0) ThrowErrno(op, name);
}

void InitNetns(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "netnsCreate", [](const Napi::CallbackInfo& info) {
    std::string name = StringArg(info, 0, "name");
    // The thread starts in the host namespace and unshares itself: netns "" here.
    return RunInNetns(info.Env(), "", "netns create", [name]() -> Settle {
      CreateNetnsOnThisThread(name);
      return nullptr;
    });
  });
  Export(env, exports, "netnsDelete", [](const Napi::CallbackInfo& info) {
    std::string name = StringArg(info, 0, "name");
    return RunInNetns(info.Env(), "", "netns delete", [name]() -> Settle {
      DeleteNetns(name);
      return nullptr;
    });
  });
}

}  // namespace pk
