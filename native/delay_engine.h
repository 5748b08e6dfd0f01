// The delay line's JS face: loads bpf/delay.bpf.c, shares its pair map with JS
// as an mmapped ArrayBuffer, owns the DelayLine (delay_line.h) and its sockets.
#pragma once

#include <napi.h>

namespace pk {

// Registers delayLoadLine(maxNodes): Promise<DelayEngine>.
void InitDelayEngine(Napi::Env env, Napi::Object exports);

}  // namespace pk
