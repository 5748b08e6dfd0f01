// Named network namespaces, created the way `ip netns add` does it but without a
// child process: a bind mount of a namespace fd onto /run/netns/<name>.
#pragma once

#include <napi.h>

#include <string>

namespace pk {

// Registers netnsCreate(name): Promise<void> and netnsDelete(name): Promise<void>.
void InitNetns(Napi::Env env, Napi::Object exports);

// On an owned thread only (it unshares that thread's network namespace).
// Throws SysError("netns create", name, EEXIST) when the name is taken.
void CreateNetnsOnThisThread(const std::string& name);

// umount2(MNT_DETACH) + unlink. Throws SysError("netns delete", name, ENOENT) when missing.
void DeleteNetns(const std::string& name);

}  // namespace pk
