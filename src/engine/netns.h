// A container's own network namespace with loopback up (`--network none`,
// and the sandbox later networks attach to), made before the container
// starts and bind-mounted at a path the spec joins — as Docker's sandboxes.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::engine {

// Creates a new network namespace, brings `lo` up in it and bind-mounts it
// at path (a file created here). No subprocess: a short-lived thread
// unshares its own network namespace.
Result<void> create_netns(const std::string& path);
// Brings `lo` up in the calling thread's network namespace.
Result<void> loopback_up();
// Unmounts and removes it; missing is fine.
void remove_netns(const std::string& path);

}  // namespace berth::engine
