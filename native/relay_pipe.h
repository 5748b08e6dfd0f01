// One direction of a relayed connection: src -> pipe -> dst with splice(2),
// non-blocking, one read and one write per pass (native/relay_reactor.cc drives
// both directions of every connection from its epoll loop).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "fd.h"

namespace pk {

// A socket failed (reset, timeout…): a normal way for a relayed connection to end.
struct SocketFailed {
  int err;
};

// src -> pipe -> dst. The pipe holds what was read from src and not yet written
// to dst, so neither side ever waits for the other inside the kernel.
struct Direction {
  int src = -1, dst = -1;
  UniqueFd pipe_read, pipe_write;
  size_t capacity = 0;
  size_t buffered = 0;
  bool eof = false;   // src reached EOF
  bool done = false;  // eof, pipe drained, dst shut for writing
  bool want_read = false, want_write = false;
  uint64_t delivered = 0;

  // Makes the pipe; throws SysError when it cannot.
  void Open(int from, int to);

  // One read and one write at most, so the two directions take turns. True when
  // anything moved; otherwise want_read / want_write say what to poll for.
  // Throws SocketFailed when a socket failed.
  bool Pass();
};

}  // namespace pk
