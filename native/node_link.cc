// See node_link.h. The whole link work of one node runs on one owned thread, and
// a failure at any step deletes what the earlier steps created.
#include "node_link.h"

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
  std::string netns, bridge, host_veth, ifname, cidr;
  int prog_fd = -1;
};

// Host part from the host namespace, then the thread joins the node's namespace
// for the inside part.
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
    LinkSetUp(inside, "lo");
    LinkSetUp(inside, spec.ifname);
    AddressAdd(inside, LinkIndex(inside, spec.ifname, "address add"), spec.ifname, spec.cidr);
    if (spec.prog_fd >= 0) XdpAttachInCurrentNetns(spec.prog_fd, spec.ifname, spec.ifname + " in netns " + spec.netns);
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
  // Every name is checked before anything is created.
  CheckNetnsName("veth create", link.netns);
  for (const std::string* name : {&link.bridge, &link.host_veth, &link.ifname}) CheckIfName("veth create", *name);
  in_addr addr;
  unsigned prefix;
  ParseCidr("address add", link.cidr, &addr, &prefix);
  return RunInNetns(info.Env(), "", "veth create", [link]() -> Settle {
    ProvisionNodeLink(link);
    return nullptr;
  });
}

}  // namespace

void InitNodeLink(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "provisionNodeLink", StartProvisionNodeLink);
}

}  // namespace pk
