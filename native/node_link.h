// The recipe that wires one node to the run's bridge: a veth pair whose peer is
// born inside the node's namespace, addresses, links up, the fault program attached.
#pragma once

#include <napi.h>

namespace pk {

// Registers provisionNodeLink({netns, bridge, hostVeth, ifname, cidr, progFd?}): Promise<void>.
void InitNodeLink(Napi::Env env, Napi::Object exports);

}  // namespace pk
