// Pieces shared by the runtime's operations (not part of its API).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <memory>

#include "base/error.h"
#include "runtime/cgroup/manager.h"
#include "runtime/state.h"

namespace berth::runtime {

// Files in a container's state directory.
inline constexpr char kStartSocket[] = "start.sock";  // exists while "created"
inline constexpr char kSeccompFile[] = "seccomp.bpf"; // compiled filter, reused by exec
inline constexpr char kConfigCopy[] = "config.json";  // the config as created, for exec
// In the state root, beside the containers (ids cannot start with a dot).
inline constexpr char kSeccompCacheDir[] = ".seccomp-cache";

// Waits for pid (our child) while passing the signals in `forward` (already
// blocked) on to it. Returns its exit status, 128+N for a signal.
Result<int> wait_forwarding_signals(pid_t pid, int pidfd, const sigset_t& forward);

Result<std::unique_ptr<cgroup::Manager>> load_cgroup(const ContainerState& st);
// Waits (pidfd, no polling) until pid, started at start_time, has exited.
Result<void> wait_for_exit(pid_t pid, uint64_t start_time);

}  // namespace berth::runtime
