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

#include "binding.h"
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

// linkDisableTxOffload(netns, ifname): Promise<void>
Napi::Value DisableTxOffload(const Napi::CallbackInfo& info) {
  const char* op = "ethtool tx offload off";
  std::string netns = NetnsArg(info, 0);
  std::string ifname = StringArg(info, 1, "ifname");
  CheckIfName(op, ifname);
  if (!netns.empty()) CheckNetnsName(op, netns);
  return RunInNetns(info.Env(), netns, op, [ifname]() -> Settle {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) ThrowErrno("ethtool socket", ifname);
    SetFeature(fd.get(), ifname, ETHTOOL_STSO, "ethtool tso off");
    SetFeature(fd.get(), ifname, ETHTOOL_STXCSUM, "ethtool tx checksum off");
    return nullptr;
  });
}

}  // namespace

void InitEthtool(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "linkDisableTxOffload", DisableTxOffload);
}

}  // namespace pk
