// The relay thread of the process (native/relay.h): one epoll loop over every
// relayed connection, and the cap on how many may be relayed at once.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>

#include "cancel_token.h"
#include "fd.h"
#include "relay_pipe.h"

namespace pk {

// One relayed connection, owned by the reactor's thread from RunRelay() on.
struct Conn {
  uint64_t id = 0;
  UniqueFd a, b;
  Direction ab, ba;
  std::shared_ptr<CancelToken> cancel;
  Napi::Promise::Deferred deferred;
  // Which of a, b are in the epoll set now (a socket with nothing to wait for
  // is taken out: a hung-up socket would otherwise wake the loop forever).
  uint32_t a_events = 0, b_events = 0;
  explicit Conn(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

// How many connections the process relays at once, at most. Each one holds
// seven fds (two sockets, two pipes, a cancel eventfd) and up to 2 x 256 KiB of
// pipe buffer in the kernel; without a cap, any local user connecting to a port
// forward again and again could make the test process run out of fds (EMFILE
// for the test's own work) or pin kernel memory.
constexpr uint32_t kDefaultRelayLimit = 1024;

struct RelayCounters {
  uint64_t active;   // relayed now
  uint64_t refused;  // refused since the process started, for being over the limit
  uint32_t limit;
};

// Counts one more relayed connection, or (at the limit) one more refusal and
// returns false. Every true must be matched by ReleaseRelay (RunRelay's
// connection does it when it ends).
bool TryAdmitRelay();
void ReleaseRelay();
void SetRelayLimit(uint32_t limit);
RelayCounters GetRelayCounters();

// Hands an admitted connection to the relay thread; its promise settles when it ends.
void RunRelay(Napi::Env env, std::unique_ptr<Conn> conn);

}  // namespace pk
