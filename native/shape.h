// The run's traffic-class classifier (bpf/shape.bpf.c): loaded on the first
// bandwidth fault, its class map shared with JS as an mmapped ArrayBuffer.
#pragma once

#include <napi.h>

namespace pk {

// Registers shapeLoadEngine(maxNodes): Promise<ShapeEngine>.
void InitShape(Napi::Env env, Napi::Object exports);

}  // namespace pk
