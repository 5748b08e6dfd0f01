// Precise wake-ups for JS without spinning: one thread of the addon per JS
// environment sleeps until the earliest pending deadline (CLOCK_MONOTONIC, the
// clock of process.hrtime) with 1 ns timer slack and settles that wait's Promise
// on the JS thread. Node's own timers run on a millisecond loop clock, and
// polling the event loop for the last stretch kept a core busy and fed the
// garbage collector.
#pragma once

#include <napi.h>

namespace pk {

// Registers timerWake(deadlineNs: bigint | number): { promise: Promise<boolean>, cancel() }.
// The promise resolves true once CLOCK_MONOTONIC >= deadlineNs (never before),
// or false at once when cancel() is called first. Only pending waits keep the
// event loop alive; the thread is started on first use and joined at env cleanup.
void InitTimer(Napi::Env env, Napi::Object exports);

}  // namespace pk
