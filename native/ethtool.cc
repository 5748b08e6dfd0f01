// See ethtool.h. The legacy set-one-feature commands (ETHTOOL_STXCSUM, …) are
// still served by every kernel and need no feature-bit table.
#include "ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"
#include "fd.h"
#include "netns_thread.h"

namespace pk {
namespace {

void SetFeature(int fd, const std::string& ifname, uint32_t command, const char* what) {
  ethtool_value value = {};
  value.cmd = command;
  value.data = 0;
  ifreq request = {};
  std::strncpy(request.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  request.ifr_data = reinterpret_cast<char*>(&value);
  // EOPNOTSUPP: the device has no such offload to turn off.
  if (ioctl(fd, SIOCETHTOOL, &request) != 0 && errno != EOPNOTSUPP) ThrowErrno(what, ifname);
}

Napi::Value DisableTxOffload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "ethtool tx offload off";
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(env, "linkDisableTxOffload(netns: string, ifname: string)");
  std::string netns = info[0].As<Napi::String>().Utf8Value();
  std::string ifname = info[1].As<Napi::String>().Utf8Value();
  try {
    CheckIfName(op, ifname);
    if (!netns.empty()) CheckNetnsName(op, netns);
  } catch (const SysError& error) {
    throw ToJsError(env, error);
  }
  return RunInNetns(env, netns, op, [ifname]() -> Settle {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) ThrowErrno("ethtool socket", ifname);
    SetFeature(fd.get(), ifname, ETHTOOL_STSO, "ethtool tso off");
    SetFeature(fd.get(), ifname, ETHTOOL_STXCSUM, "ethtool tx checksum off");
    return nullptr;
  });
}

}  // namespace

void InitEthtool(Napi::Env env, Napi::Object exports) {
  exports.Set("linkDisableTxOffload", Napi::Function::New(env, DisableTxOffload, "linkDisableTxOffload"));
}

}  // namespace pk
