// TCP connections made from inside a node's network namespace, handed to JS as fds.
#pragma once

#include <napi.h>

namespace pk {

// Registers connectInNetns(netns, ip, port, timeoutMs) -> { promise: Promise<number>, cancel(): void }.
// The promise resolves with a connected, O_CLOEXEC, non-blocking TCP socket fd
// (JS owns it from then on) or rejects with an errno error (ECONNREFUSED,
// ETIMEDOUT, EHOSTUNREACH…) or an AbortError after cancel().
void InitSockets(Napi::Env env, Napi::Object exports);

}  // namespace pk
