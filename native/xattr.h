// Extended attributes of files, read and written without following a symlink
// (lgetxattr/lsetxattr), off the JS thread. Used to honour overlayfs marks
// (trusted.overlay.opaque) when a stopped container's layers are read directly.
#pragma once

#include <napi.h>

namespace pk {

// Registers getXattr(path, name): Promise<Buffer | null> (null: the file has no such attribute)
// and setXattr(path, name, value: Buffer): Promise<void>.
void InitXattr(Napi::Env env, Napi::Object exports);

}  // namespace pk
