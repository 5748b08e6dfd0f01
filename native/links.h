// Link and address operations over rtnetlink (netlink.h), in the namespace of the
// NetlinkSocket passed in, and their JS bindings. Every failure throws
// SysError(op, object, errno), e.g. "veth create pkabcde-1: File exists".
#pragma once

#include <netinet/in.h>
#include <napi.h>

#include <string>
#include <vector>

#include "netlink.h"

namespace pk {

// Bridge `name`, up, no address; STP off so ports forward at once.
void BridgeCreate(NetlinkSocket& nl, const std::string& name);
void LinkDelete(NetlinkSocket& nl, const std::string& name);
std::vector<std::string> LinkNames(NetlinkSocket& nl);
// ifindex of `name`; throws SysError(op, name, ENODEV) when there is none.
int LinkIndex(NetlinkSocket& nl, const std::string& name, const std::string& op);
void LinkSetUp(NetlinkSocket& nl, const std::string& name);
// No IPv6 link-local address (and so no fe80::/64 route) on link `name`; only while it is down.
void SetAddrGenModeNone(NetlinkSocket& nl, const std::string& name, const std::string& op);
// veth pair: `host` here (master = `master_ifindex` when > 0), its peer created
// directly inside the namespace `peer_netns_fd` under `peer_name`. Both stay down.
void VethCreate(NetlinkSocket& nl, const std::string& host, const std::string& peer_name, int peer_netns_fd,
                int master_ifindex);
// IPv4 address "a.b.c.d/len" on `ifindex` (`ifname` names it in errors). With
// `broadcast` the subnet's broadcast address is set too (and the kernel adds its
// broadcast route); without it the kernel adds only the local and prefix routes.
void AddressAdd(NetlinkSocket& nl, int ifindex, const std::string& ifname, const std::string& cidr,
                bool broadcast = true);

// Parses "a.b.c.d/len"; throws SysError(op, cidr, EINVAL, reason) when it is not one.
void ParseCidr(const std::string& op, const std::string& cidr, in_addr* addr, unsigned* prefix);

// Registers createBridge, deleteLink, listLinks, linkIndex and addAddress.
void InitLinks(Napi::Env env, Napi::Object exports);

}  // namespace pk
