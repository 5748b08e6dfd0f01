// Module entry of pakostii.node: one Init per concern (see native/sources.gypi).
#include <napi.h>

#include "delay_engine.h"
#include "ethtool.h"
#include "links.h"
#include "netem.h"
#include "node_link.h"
#include "netns.h"
#include "netns_thread.h"
#include "qdisc.h"
#include "relay.h"
#include "shape.h"
#include "sockets.h"
#include "timer.h"
#include "xattr.h"
#include "xdp.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pk::InitNetnsThread(env);
  pk::InitNetns(env, exports);
  pk::InitLinks(env, exports);
  pk::InitNodeLink(env, exports);
  pk::InitSockets(env, exports);
  pk::InitRelay(env, exports);
  pk::InitQdisc(env, exports);
  pk::InitNetem(env, exports);
  pk::InitShape(env, exports);
  pk::InitDelayEngine(env, exports);
  pk::InitEthtool(env, exports);
  pk::InitXattr(env, exports);
  pk::InitXdp(env, exports);
  pk::InitTimer(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(pakostii, Init)
