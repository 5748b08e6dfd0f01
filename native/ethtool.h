// Interface offloads through the ethtool ioctl, inside a node's namespace.
#pragma once

#include <napi.h>

namespace pk {

// Registers linkDisableTxOffload(netns, ifname): Promise<void>. It turns off TX
// checksum offload (and with it TSO/GSO-by-hardware) so that every frame the
// interface sends is complete on the wire: full checksums, at most one MTU.
// The delay line needs that, because it carries frames as bytes to another
// interface, where no skb metadata says "checksum still to do" or "segment me".
void InitEthtool(Napi::Env env, Napi::Object exports);

}  // namespace pk
