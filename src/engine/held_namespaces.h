// Namespaces held by bind mounts instead of a process (the CRI's pod
// sandboxes, which have no pause container): one short-lived thread unshares
// the kinds asked for at once, sets the hostname in a new UTS namespace,
// brings lo up in a new network namespace, and bind-mounts each namespace at
// its file. Containers join them by path (NetworkMode/NamespaceMode "ns:").
// No subprocess, as create_netns.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::engine {

struct HeldNamespacePaths {
  std::string net, ipc, uts;  // "" = not asked for
  std::string hostname;       // set in the new UTS namespace (uts only)
};

// Creates each asked file (0444) and holds the namespace there. On failure
// nothing is left behind.
Result<void> hold_namespaces(const HeldNamespacePaths& paths);
// Unmounts and removes a held namespace file; missing is fine.
void release_namespace(const std::string& path);

}  // namespace berth::engine
