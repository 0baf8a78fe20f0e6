// Starting berth-shim processes from a multi-threaded daemon.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::task {

// posix_spawn (vfork-like in glibc: nothing of ours runs in the child) in a
// new session with default signal dispositions, /dev/null on 0 and 1, `log`
// (appended, created 0600) on 2 and `conn` (when >= 0) on 3 as the only fds.
// `what` names the purpose in the error.
Result<pid_t> spawn_shim_process(const std::string& binary, const std::vector<std::string>& args,
                                 const std::string& log, int conn, const std::string& what);

// waitpid, EINTR retried; the raw status.
int wait_for_process(pid_t pid);

}  // namespace berth::task
