// rtnetlink requests, built by hand on a raw NETLINK_ROUTE socket.
#include "netlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "errors.h"
#include "netns_thread.h"
#include "xdp.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace pk {

// ---- message building -------------------------------------------------------

NetlinkMessage::NetlinkMessage(uint16_t type, uint16_t flags) {
  // Reserved up front so pointers returned by AddHeader/Reserve stay valid while
  // a request is built (requests here are a few hundred bytes).
  buffer_.reserve(4096);
  buffer_.resize(NLMSG_HDRLEN, 0);
  header()->nlmsg_len = NLMSG_HDRLEN;
  header()->nlmsg_type = type;
  header()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
}

void* NetlinkMessage::Reserve(size_t length) {
  size_t offset = buffer_.size();
  size_t grown = offset + NLMSG_ALIGN(length);
  if (grown > buffer_.capacity()) throw SysError("netlink message build", "request", EMSGSIZE);
  buffer_.resize(grown, 0);
  header()->nlmsg_len = static_cast<uint32_t>(buffer_.size());
  return buffer_.data() + offset;
}

void NetlinkMessage::Put(uint16_t type, const void* data, size_t length) {
  auto* attr = static_cast<rtattr*>(Reserve(RTA_SPACE(length)));
  attr->rta_type = type;
  attr->rta_len = static_cast<uint16_t>(RTA_LENGTH(length));
  if (length > 0) std::memcpy(RTA_DATA(attr), data, length);
}

void NetlinkMessage::PutString(uint16_t type, const std::string& value) { Put(type, value.c_str(), value.size() + 1); }

size_t NetlinkMessage::BeginNest(uint16_t type) {
  size_t offset = buffer_.size();
  Put(type, nullptr, 0);
  return offset;
}

void NetlinkMessage::EndNest(size_t offset) {
  auto* attr = reinterpret_cast<rtattr*>(buffer_.data() + offset);
  attr->rta_len = static_cast<uint16_t>(buffer_.size() - offset);
}

// ---- socket -----------------------------------------------------------------

namespace {

// The kernel's own words for a failure (extended ack), e.g. "Invalid prefix".
std::string ExtAckMessage(const nlmsghdr* h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
  size_t offset = sizeof(nlmsgerr);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  size_t header = NLMSG_HDRLEN + offset;
  if (h->nlmsg_len <= header) return "";
  int remaining = static_cast<int>(h->nlmsg_len - header);
  const auto* attr = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(NLMSG_DATA(h)) + offset);
  for (; RTA_OK(attr, remaining); attr = RTA_NEXT(attr, remaining)) {
    if (attr->rta_type == NLMSGERR_ATTR_MSG) return static_cast<const char*>(RTA_DATA(attr));
  }
  return "";
}

[[noreturn]] void ThrowNetlinkError(const nlmsghdr* h, int err, const std::string& op, const std::string& object) {
  std::string kernel_says = ExtAckMessage(h);
  throw SysError(op, object, err,
                 kernel_says.empty() ? "" : std::string(std::strerror(err)) + " (" + kernel_says + ")");
}

}  // namespace

NetlinkSocket::NetlinkSocket(const std::string& op) : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
  if (!fd_) ThrowErrno(op, "netlink socket");
  int one = 1;
  // Best effort: richer error text, and acks without a copy of our request.
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  sockaddr_nl local = {};
  local.nl_family = AF_NETLINK;
  if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) ThrowErrno(op, "netlink socket");
}

void NetlinkSocket::Send(NetlinkMessage& message, const std::string& op, const std::string& object) {
  nlmsghdr* h = message.header();
  h->nlmsg_seq = ++seq_;
  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd_.get(), h, h->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) ThrowErrno(op, object);
}

namespace {

// Receives datagrams and hands each message of sequence `seq` to `each` until it returns true.
template <typename Each>
void ReceiveUntil(int fd, uint32_t seq, const std::string& op, const std::string& object, Each each) {
  alignas(nlmsghdr) static thread_local char buffer[32768];
  for (;;) {
    ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      ThrowErrno(op, object);
    }
    int remaining = static_cast<int>(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, remaining); h = NLMSG_NEXT(h, remaining)) {
      if (h->nlmsg_seq != seq) continue;  // a late answer to an earlier request
      if (each(h)) return;
    }
  }
}

}  // namespace

void NetlinkSocket::Request(NetlinkMessage& message, const std::string& op, const std::string& object,
                            const std::function<void(const nlmsghdr*)>& each) {
  message.header()->nlmsg_flags |= NLM_F_ACK;
  Send(message, op, object);
  ReceiveUntil(fd_.get(), seq_, op, object, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != NLMSG_ERROR) {
      if (each) each(h);
      return false;
    }
    const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
    if (err->error != 0) ThrowNetlinkError(h, -err->error, op, object);
    return true;
  });
}

void NetlinkSocket::Dump(NetlinkMessage& message, const std::string& op, const std::string& object,
                         const std::function<void(const nlmsghdr*)>& each) {
  message.header()->nlmsg_flags |= NLM_F_DUMP;
  Send(message, op, object);
  ReceiveUntil(fd_.get(), seq_, op, object, [&](const nlmsghdr* h) {
    if (h->nlmsg_type == NLMSG_DONE) return true;
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (err->error != 0) ThrowNetlinkError(h, -err->error, op, object);
      return true;
    }
    each(h);
    return false;
  });
}

// ---- operations ---------------------------------------------------------------

namespace {

ifinfomsg* LinkHeader(NetlinkMessage& m, unsigned up_change = 0) {
  auto* ifi = m.AddHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = up_change;
  ifi->ifi_change = up_change;
  return ifi;
}

// No IPv6 link-local address on host-side links: the kernel would add a
// fe80::/64 route per link to the host's table, and rule 3 is that runs never
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

bool ParseCidr(const std::string& cidr, in_addr* addr, unsigned* prefix) {
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
  if (!ParseCidr(cidr, &addr, &prefix)) {
    throw SysError(op, cidr, EINVAL, "not an IPv4 address with prefix like 198.18.0.5/24");
  }
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

namespace {

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// Optional netns argument: undefined/"" = host namespace.
std::string NetnsArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return "";
  return StringArg(info, i, "netns");
}

std::string StringField(Napi::Object spec, const char* key) {
  Napi::Value v = spec.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(spec.Env(), std::string("spec.") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// Turns argument validation failures (SysError before any syscall) into JS exceptions.
template <typename F>
Napi::Value Guard(const Napi::CallbackInfo& info, F body) {
  try {
    return body();
  } catch (const SysError& e) {
    throw ToJsError(info.Env(), e);
  }
}

struct NodeLink {
  // bridge_netns: where the bridge and the bridge-side end live ("" = the host
  // namespace). netns: where the other end goes ("" = the host namespace: the
  // uplink that gives the host an address on a bridge kept in a namespace of its own).
  std::string bridge_netns, netns, bridge, host_veth, peer_veth, ifname, cidr;
  int prog_fd = -1;
};

// The whole link work of one node on one owned thread, started in the bridge's
// namespace: bridge side first, then the thread joins the node's namespace for
// the inside part.
void ProvisionNodeLink(const NodeLink& spec) {
  NetlinkSocket host("veth create");
  int master = LinkIndex(host, spec.bridge, "bridge lookup");
  UniqueFd netns = OpenNetns(spec.netns, "veth create");
  // The peer is born inside the namespace, already named `ifname`: no temporary
  // name ever shows in the host namespace and no rename is needed.
  VethCreate(host, spec.host_veth, spec.ifname, netns.get(), master);
  try {
    SetAddrGenModeNone(host, spec.host_veth, "veth create");
    LinkSetUp(host, spec.host_veth);
    JoinNetns(spec.netns, "node link setup");
    NetlinkSocket inside("node link setup");  // opened after the join: bound to the node's namespace
    // An uplink's end in the host namespace gets no IPv6 link-local address
    // either (see SetAddrGenModeNone); the host's loopback is up already.
    if (spec.netns.empty()) {
      SetAddrGenModeNone(inside, spec.ifname, "node link setup");
    } else {
      LinkSetUp(inside, "lo");
    }
    LinkSetUp(inside, spec.ifname);
    AddressAdd(inside, LinkIndex(inside, spec.ifname, "address add"), spec.ifname, spec.cidr);
    if (spec.prog_fd >= 0) {
      std::string why;
      int rc = XdpAttachInCurrentNetns(spec.prog_fd, spec.ifname.c_str(), &why);
      if (rc < 0) {
        throw SysError("xdp attach", spec.ifname + " in netns " + (spec.netns.empty() ? "(host)" : spec.netns), -rc,
                       why);
      }
    }
  } catch (...) {
    // Deleting the host end deletes the peer too: no half-provisioned node remains.
    try {
      LinkDelete(host, spec.host_veth);
    } catch (const SysError&) {
    }
    throw;
  }
}

}  // namespace

void InitNetlink(Napi::Env env, Napi::Object exports) {
  // createBridge(name, netns?): Promise<void>
  exports.Set("createBridge", Napi::Function::New(
                                  env,
                                  [](const Napi::CallbackInfo& info) {
                                    return Guard(info, [&]() -> Napi::Value {
                                      std::string name = StringArg(info, 0, "name");
                                      std::string netns = NetnsArg(info, 1);
                                      CheckIfName("bridge create", name);
                                      return RunInNetns(info.Env(), netns, "bridge create", [name]() -> Settle {
                                        NetlinkSocket nl("bridge create");
                                        BridgeCreate(nl, name);
                                        return nullptr;
                                      });
                                    });
                                  },
                                  "createBridge"));

  // deleteLink(name, netns?): Promise<void>
  exports.Set("deleteLink", Napi::Function::New(
                                env,
                                [](const Napi::CallbackInfo& info) {
                                  return Guard(info, [&]() -> Napi::Value {
                                    std::string name = StringArg(info, 0, "name");
                                    std::string netns = NetnsArg(info, 1);
                                    CheckIfName("link delete", name);
                                    return RunInNetns(info.Env(), netns, "link delete", [name]() -> Settle {
                                      NetlinkSocket nl("link delete");
                                      LinkDelete(nl, name);
                                      return nullptr;
                                    });
                                  });
                                },
                                "deleteLink"));

  // listLinks(netns?): Promise<string[]>
  exports.Set("listLinks", Napi::Function::New(
                               env,
                               [](const Napi::CallbackInfo& info) {
                                 return Guard(info, [&]() -> Napi::Value {
                                   std::string netns = NetnsArg(info, 0);
                                   return RunInNetns(info.Env(), netns, "link list", []() -> Settle {
                                     NetlinkSocket nl("link list");
                                     auto names = std::make_shared<std::vector<std::string>>(LinkNames(nl));
                                     return [names](Napi::Env env) -> Napi::Value {
                                       Napi::Array out = Napi::Array::New(env, names->size());
                                       for (size_t i = 0; i < names->size(); i++)
                                         out.Set(static_cast<uint32_t>(i), (*names)[i]);
                                       return out;
                                     };
                                   });
                                 });
                               },
                               "listLinks"));

  // linkIndex(name, netns?): Promise<number>
  exports.Set("linkIndex", Napi::Function::New(
                               env,
                               [](const Napi::CallbackInfo& info) {
                                 return Guard(info, [&]() -> Napi::Value {
                                   std::string name = StringArg(info, 0, "name");
                                   std::string netns = NetnsArg(info, 1);
                                   CheckIfName("link lookup", name);
                                   return RunInNetns(info.Env(), netns, "link lookup", [name]() -> Settle {
                                     NetlinkSocket nl("link lookup");
                                     int index = LinkIndex(nl, name, "link lookup");
                                     return [index](Napi::Env env) -> Napi::Value {
                                       return Napi::Number::New(env, index);
                                     };
                                   });
                                 });
                               },
                               "linkIndex"));

  // addAddress(ifname, cidr, netns?): Promise<void>. No broadcast address is set;
  // the kernel adds the local, prefix and subnet broadcast routes all the same.
  exports.Set("addAddress", Napi::Function::New(
                                env,
                                [](const Napi::CallbackInfo& info) {
                                  return Guard(info, [&]() -> Napi::Value {
                                    std::string ifname = StringArg(info, 0, "ifname");
                                    std::string cidr = StringArg(info, 1, "cidr");
                                    std::string netns = NetnsArg(info, 2);
                                    CheckIfName("address add", ifname);
                                    in_addr addr;
                                    unsigned prefix;
                                    if (!ParseCidr(cidr, &addr, &prefix)) {
                                      throw SysError("address add", cidr, EINVAL,
                                                     "not an IPv4 address with prefix like 198.18.0.5/24");
                                    }
                                    return RunInNetns(info.Env(), netns, "address add", [ifname, cidr]() -> Settle {
                                      NetlinkSocket nl("address add");
                                      AddressAdd(nl, LinkIndex(nl, ifname, "address add"), ifname, cidr, false);
                                      return nullptr;
                                    });
                                  });
                                },
                                "addAddress"));

  // provisionNodeLink({netns, bridge, hostVeth, peerVeth, ifname, cidr, progFd?, bridgeNetns?}): Promise<void>
  exports.Set("provisionNodeLink",
              Napi::Function::New(
                  env,
                  [](const Napi::CallbackInfo& info) {
                    return Guard(info, [&]() -> Napi::Value {
                      if (info.Length() < 1 || !info[0].IsObject())
                        throw Napi::TypeError::New(info.Env(), "spec must be an object");
                      Napi::Object spec = info[0].As<Napi::Object>();
                      NodeLink link;
                      link.netns = StringField(spec, "netns");
                      link.bridge = StringField(spec, "bridge");
                      link.host_veth = StringField(spec, "hostVeth");
                      link.peer_veth = StringField(spec, "peerVeth");
                      link.ifname = StringField(spec, "ifname");
                      link.cidr = StringField(spec, "cidr");
                      Napi::Value prog_fd = spec.Get("progFd");
                      if (prog_fd.IsNumber()) link.prog_fd = prog_fd.As<Napi::Number>().Int32Value();
                      Napi::Value bridge_netns = spec.Get("bridgeNetns");
                      if (!bridge_netns.IsUndefined()) link.bridge_netns = StringField(spec, "bridgeNetns");
                      // Every name is checked before anything is created; "" is the host namespace.
                      for (const std::string* netns : {&link.bridge_netns, &link.netns}) {
                        if (!netns->empty()) CheckNetnsName("veth create", *netns);
                      }
                      if (link.netns == link.bridge_netns) {
                        throw SysError("veth create", link.host_veth, EINVAL,
                                       "the node end must go to another namespace than the bridge's");
                      }
                      for (const std::string* name : {&link.bridge, &link.host_veth, &link.peer_veth, &link.ifname}) {
                        CheckIfName("veth create", *name);
                      }
                      in_addr addr;
                      unsigned prefix;
                      if (!ParseCidr(link.cidr, &addr, &prefix)) {
                        throw SysError("address add", link.cidr, EINVAL,
                                       "not an IPv4 address with prefix like 198.18.0.5/24");
                      }
                      return RunInNetns(info.Env(), link.bridge_netns, "veth create", [link]() -> Settle {
                        ProvisionNodeLink(link);
                        return nullptr;
                      });
                    });
                  },
                  "provisionNodeLink"));
}

}  // namespace pk
