// Starting berth-shim processes from a multi-threaded daemon.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::task {

// posix_spawn (vfork-like in glibc: nothing of ours runs in the child) in a
// new session with default signal dispositions, /dev/null on 0 and 1, `log`
// (appended, created 0600) on 2 and `conn` (when >= 0) on 3 as the only fds.
// `what` names the purpose in the error.
Result<pid_t> spawn_shim_process(const std::string& binary, const std::vector<std::string>& args,
                                 const std::string& log, int conn, const std::string& what);

// A shim spawned with one end of a socketpair as its fd 3 (spawn_shim_process).
struct SpawnedShim {
  pid_t pid = 0;  // our child: whoever holds this reaps it
  UniqueFd conn;  // our end of the socketpair
};
Result<SpawnedShim> spawn_connected_shim(const std::string& binary, const std::vector<std::string>& args,
                                         const std::string& log, const std::string& what);

// waitpid, EINTR retried; the raw status.
int wait_for_process(pid_t pid);
// SIGKILL, then waitpid: for a shim that holds nothing yet (an idle standby).
void kill_and_reap(pid_t pid);

}  // namespace berth::task
