// A process's stdio for create/exec in the guest: the shim's ContainerStdio
// (pipes, or a pty whose master comes back over a console socket) in a
// per-process state directory.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "shim/container_stdio.h"

namespace berth::vmagent {

struct PreparedStdio {
  UniqueFd dirfd;
  shim::ContainerStdio stdio;
};

// Makes `dir` (fresh) and the stdio's pipes or console socket in it.
Result<PreparedStdio> prepare_stdio(const std::string& dir, bool tty, bool open_stdin);

// Runs `start` (create_container or exec_in_container) with the process's
// ends on fds 0/1/2, then takes the pty master when there is a terminal.
// `undo` runs on a started process when the rest fails.
Result<pid_t> start_with_stdio(PreparedStdio& io, const std::function<Result<pid_t>(const std::string& console)>& start,
                               const std::function<void(pid_t)>& undo);

Result<pid_t> read_pid_file(const std::string& path);

}  // namespace berth::vmagent
