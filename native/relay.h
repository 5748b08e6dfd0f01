// Byte relay between two connected TCP sockets, off the JS thread: the port
// forward's data path (lib/runtime/port-forward.ts).
#pragma once

#include <napi.h>

namespace pk {

// Registers relay(fdA, fdB) -> { promise, cancel(): void } and
// relayLimit(limit?) -> { active, refused, limit }.
//
// At most `limit` connections (default kDefaultRelayLimit = 1024, see
// relay_reactor.h) are relayed at once per process: past it relay() throws
// EAGAIN before duplicating anything (the caller still owns and closes both
// sockets) and counts the refusal; relayLimit(n) sets the limit.
//
// relay() duplicates fdA and fdB right away (F_DUPFD_CLOEXEC): the caller keeps
// its own fds and closes them as usual (e.g. destroys the net.Socket that owned
// them), while the duplicates belong to the addon's one relay thread (an epoll
// loop serving every relayed connection of the process, relay_reactor.cc), which
// moves bytes both ways with splice(2) through one pipe per direction (relay_pipe.cc). When one side reaches
// EOF, the other side gets shutdown(SHUT_WR) once the pipe is drained (half-close).
// The relay ends, closing both duplicates, when
//   - both directions reached EOF          -> end "eof";
//   - a socket fails (reset, timeout…)     -> end "error", code "ECONNRESET"…;
//   - cancel() is called                   -> end "cancel".
// The promise then resolves with { aToB, bToA, end, code? } (bytes delivered per
// direction); relay() throws an errno error when the relay cannot start (dup,
// pipe2, eventfd, the relay thread's epoll set); a later failure of the loop
// itself ends the connection with end "error".
void InitRelay(Napi::Env env, Napi::Object exports);

}  // namespace pk
