// Link and address operations over rtnetlink, and their JS bindings.
#include "links.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cerrno>
#include <memory>

#include "binding.h"
#include "errors.h"
#include "netns_thread.h"

namespace pk {

namespace {

ifinfomsg* LinkHeader(NetlinkMessage& m, unsigned up_change = 0) {
  auto* ifi = m.AddHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = up_change;
  ifi->ifi_change = up_change;
  return ifi;
}

bool ParseCidrText(const std::string& cidr, in_addr* addr, unsigned* prefix) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos || slash + 1 >= cidr.size() || cidr.size() - slash > 3) return false;
  std::string ip = cidr.substr(0, slash);
  unsigned len = 0;
  for (char c : cidr.substr(slash + 1)) {
    if (c < '0' || c > '9') return false;
    len = len * 10 + static_cast<unsigned>(c - '0');
  }
  if (len > 32) return false;
  *prefix = len;
  return inet_pton(AF_INET, ip.c_str(), addr) == 1;
}

}  // namespace

void ParseCidr(const std::string& op, const std::string& cidr, in_addr* addr, unsigned* prefix) {
  if (!ParseCidrText(cidr, addr, prefix)) {
    throw SysError(op, cidr, EINVAL, "not an IPv4 address with prefix like 198.18.0.5/24");
  }
}

// No IPv6 link-local address on host-side links: the kernel would add a
// fe80::/64 route per link to the host's table, and runs never
// touch the host's addresses or routes. Must happen while the link is down.
void SetAddrGenModeNone(NetlinkSocket& nl, const std::string& name, const std::string& op) {
  NetlinkMessage m(RTM_NEWLINK, 0);
  LinkHeader(m);
  m.PutString(IFLA_IFNAME, name);
  size_t af_spec = m.BeginNest(IFLA_AF_SPEC);
  size_t inet6 = m.BeginNest(AF_INET6);
  uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
  m.Put(IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof(mode));
  m.EndNest(inet6);
  m.EndNest(af_spec);
  nl.Request(m, op, name);
}

void BridgeCreate(NetlinkSocket& nl, const std::string& name) {
  const std::string op = "bridge create";
  CheckIfName(op, name);
  NetlinkMessage m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  LinkHeader(m);
  m.PutString(IFLA_IFNAME, name);
  size_t info = m.BeginNest(IFLA_LINKINFO);
  m.PutString(IFLA_INFO_KIND, "bridge");
  size_t data = m.BeginNest(IFLA_INFO_DATA);
  m.PutU32(IFLA_BR_STP_STATE, 0);  // ports forward as soon as they are up
  m.EndNest(data);
  m.EndNest(info);
  nl.Request(m, op, name);
  try {
    SetAddrGenModeNone(nl, name, op);
    LinkSetUp(nl, name);
  } catch (...) {
    try {
      LinkDelete(nl, name);
    } catch (const SysError&) {
    }
    throw;
  }
}

void LinkDelete(NetlinkSocket& nl, const std::string& name) {
  const std::string op = "link delete";
  CheckIfName(op, name);
  NetlinkMessage m(RTM_DELLINK, 0);
  LinkHeader(m);
  m.PutString(IFLA_IFNAME, name);
  nl.Request(m, op, name);
}

std::vector<std::string> LinkNames(NetlinkSocket& nl) {
  std::vector<std::string> names;
  NetlinkMessage m(RTM_GETLINK, 0);
  LinkHeader(m);
  nl.Dump(m, "link list", "links", [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWLINK) return;
    const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
    int remaining = static_cast<int>(IFLA_PAYLOAD(h));
    for (const rtattr* a = IFLA_RTA(ifi); RTA_OK(a, remaining); a = RTA_NEXT(a, remaining)) {
      if (a->rta_type == IFLA_IFNAME) names.emplace_back(static_cast<const char*>(RTA_DATA(a)));
    }
  });
  return names;
}

int LinkIndex(NetlinkSocket& nl, const std::string& name, const std::string& op) {
  CheckIfName(op, name);
  int index = 0;
  NetlinkMessage m(RTM_GETLINK, 0);
  LinkHeader(m);
  m.PutString(IFLA_IFNAME, name);
  uint32_t mask = RTEXT_FILTER_SKIP_STATS;
  m.PutU32(IFLA_EXT_MASK, mask);
  try {
    nl.Request(m, op, name, [&](const nlmsghdr* h) {
      if (h->nlmsg_type == RTM_NEWLINK) index = static_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
    });
  } catch (const SysError& e) {
    if (e.err() == ENODEV) throw SysError(op, name, ENODEV, "no link named " + name + " in this namespace");
    throw;
  }
  if (index <= 0) throw SysError(op, name, ENODEV, "no link named " + name + " in this namespace");
  return index;
}

void LinkSetUp(NetlinkSocket& nl, const std::string& name) {
  const std::string op = "link up";
  CheckIfName(op, name);
  NetlinkMessage m(RTM_NEWLINK, 0);
  LinkHeader(m, IFF_UP);
  m.PutString(IFLA_IFNAME, name);
  nl.Request(m, op, name);
}

void VethCreate(NetlinkSocket& nl, const std::string& host, const std::string& peer_name, int peer_netns_fd,
                int master_ifindex) {
  const std::string op = "veth create";
  CheckIfName(op, host);
  CheckIfName(op, peer_name);
  NetlinkMessage m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  LinkHeader(m);
  m.PutString(IFLA_IFNAME, host);
  if (master_ifindex > 0) m.PutU32(IFLA_MASTER, static_cast<uint32_t>(master_ifindex));
  size_t info = m.BeginNest(IFLA_LINKINFO);
  m.PutString(IFLA_INFO_KIND, "veth");
  size_t data = m.BeginNest(IFLA_INFO_DATA);
  size_t peer = m.BeginNest(VETH_INFO_PEER);
  auto* peer_ifi = static_cast<ifinfomsg*>(m.Reserve(sizeof(ifinfomsg)));
  // No IFF_UP here: the kernel configures the peer before pairing it, and opening
  // an unpaired veth fails with ENOTCONN. The caller brings it up afterwards.
  peer_ifi->ifi_family = AF_UNSPEC;
  m.PutString(IFLA_IFNAME, peer_name);
  if (peer_netns_fd >= 0) m.PutU32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  m.EndNest(peer);
  m.EndNest(data);
  m.EndNest(info);
  nl.Request(m, op, host);
}

void AddressAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname, const std::string& cidr, bool broadcast) {
  const std::string op = "address add";
  in_addr addr;
  unsigned prefix;
  ParseCidr(op, cidr, &addr, &prefix);
  NetlinkMessage m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = m.AddHeader<ifaddrmsg>();
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<uint32_t>(ifindex);
  m.Put(IFA_LOCAL, &addr, sizeof(addr));
  m.Put(IFA_ADDRESS, &addr, sizeof(addr));
  if (broadcast && prefix < 31) {
    in_addr bcast;
    uint32_t host_mask = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
    bcast.s_addr = addr.s_addr | htonl(host_mask);
    m.Put(IFA_BROADCAST, &bcast, sizeof(bcast));
  }
  nl.Request(m, op, cidr + " on " + ifname);
}

// ---- JS bindings ----------------------------------------------------------------

void InitLinks(Napi::Env env, Napi::Object exports) {
  // createBridge(name, netns?): Promise<void>
  Export(env, exports, "createBridge", [](const Napi::CallbackInfo& info) {
    std::string name = StringArg(info, 0, "name");
    std::string netns = NetnsArg(info, 1);
    CheckIfName("bridge create", name);
    return RunInNetns(info.Env(), netns, "bridge create", [name]() -> Settle {
      NetlinkSocket nl("bridge create");
      BridgeCreate(nl, name);
      return nullptr;
    });
  });

  // deleteLink(name, netns?): Promise<void>
  Export(env, exports, "deleteLink", [](const Napi::CallbackInfo& info) {
    std::string name = StringArg(info, 0, "name");
    std::string netns = NetnsArg(info, 1);
    CheckIfName("link delete", name);
    return RunInNetns(info.Env(), netns, "link delete", [name]() -> Settle {
      NetlinkSocket nl("link delete");
      LinkDelete(nl, name);
      return nullptr;
    });
  });

  // listLinks(netns?): Promise<string[]>
  Export(env, exports, "listLinks", [](const Napi::CallbackInfo& info) {
    std::string netns = NetnsArg(info, 0);
    return RunInNetns(info.Env(), netns, "link list", []() -> Settle {
      NetlinkSocket nl("link list");
      auto names = std::make_shared<std::vector<std::string>>(LinkNames(nl));
      return [names](Napi::Env env) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, names->size());
        for (size_t i = 0; i < names->size(); i++) out.Set(static_cast<uint32_t>(i), (*names)[i]);
        return out;
      };
    });
  });

  // linkIndex(name, netns?): Promise<number>
  Export(env, exports, "linkIndex", [](const Napi::CallbackInfo& info) {
    std::string name = StringArg(info, 0, "name");
    std::string netns = NetnsArg(info, 1);
    CheckIfName("link lookup", name);
    return RunInNetns(info.Env(), netns, "link lookup", [name]() -> Settle {
      NetlinkSocket nl("link lookup");
      int index = LinkIndex(nl, name, "link lookup");
      return [index](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, index); };
    });
  });

  // addAddress(ifname, cidr, netns?): Promise<void>. No broadcast address is set;
  // the kernel adds the local, prefix and subnet broadcast routes all the same.
  Export(env, exports, "addAddress", [](const Napi::CallbackInfo& info) {
    std::string ifname = StringArg(info, 0, "ifname");
    std::string cidr = StringArg(info, 1, "cidr");
    std::string netns = NetnsArg(info, 2);
    CheckIfName("address add", ifname);
    in_addr addr;
    unsigned prefix;
    ParseCidr("address add", cidr, &addr, &prefix);
    return RunInNetns(info.Env(), netns, "address add", [ifname, cidr]() -> Settle {
      NetlinkSocket nl("address add");
      AddressAdd(nl, LinkIndex(nl, ifname, "address add"), ifname, cidr, false);
      return nullptr;
    });
  });
}

}  // namespace pk
