// See node_link.h. The whole link work of one node runs on one owned thread, and
// a failure at any step deletes what the earlier steps created.
#include "node_link.h"

#include <cerrno>
#include <string>

#include "binding.h"
#include "errors.h"
#include "fd.h"
#include "links.h"
#include "netns_thread.h"
#include "xdp.h"

namespace pk {
namespace {

struct NodeLink {
  // bridge_netns: where the bridge and the bridge-side end live ("" = the host
  // namespace). netns: where the other end goes ("" = the host namespace: the
  // uplink that gives the host an address on a bridge kept in a namespace of its own).
  std::string bridge_netns, netns, bridge, host_veth, ifname, cidr;
  int prog_fd = -1;
};

// Started in the bridge's namespace: the bridge side first, then the thread
// joins the node's namespace for the inside part.
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
      XdpAttachInCurrentNetns(spec.prog_fd, spec.ifname,
                              spec.ifname + " in netns " + (spec.netns.empty() ? "(host)" : spec.netns));
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

Napi::Value StartProvisionNodeLink(const Napi::CallbackInfo& info) {
  Napi::Object spec = ObjectArg(info, 0, "spec");
  NodeLink link;
  link.netns = StringField(spec, "netns");
  link.bridge = StringField(spec, "bridge");
  link.host_veth = StringField(spec, "hostVeth");
  link.ifname = StringField(spec, "ifname");
  link.cidr = StringField(spec, "cidr");
  Napi::Value prog_fd = spec.Get("progFd");
  if (prog_fd.IsNumber()) link.prog_fd = prog_fd.As<Napi::Number>().Int32Value();
  if (!spec.Get("bridgeNetns").IsUndefined()) link.bridge_netns = StringField(spec, "bridgeNetns");
  // Every name is checked before anything is created; "" is the host namespace.
  for (const std::string* netns : {&link.bridge_netns, &link.netns}) {
    if (!netns->empty()) CheckNetnsName("veth create", *netns);
  }
  if (link.netns == link.bridge_netns) {
    throw SysError("veth create", link.host_veth, EINVAL,
                   "the node end must go to another namespace than the bridge's");
  }
  for (const std::string* name : {&link.bridge, &link.host_veth, &link.ifname}) CheckIfName("veth create", *name);
  in_addr addr;
  unsigned prefix;
  ParseCidr("address add", link.cidr, &addr, &prefix);
  return RunInNetns(info.Env(), link.bridge_netns, "veth create", [link]() -> Settle {
    ProvisionNodeLink(link);
    return nullptr;
  });
}

}  // namespace

void InitNodeLink(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "provisionNodeLink", StartProvisionNodeLink);
}

}  // namespace pk
