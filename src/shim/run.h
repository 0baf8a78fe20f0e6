// berth-shim's life after its command line: set up, start the process, run
// the monitor until the process has exited and everyone was told. The binary
// (cmd/berth-shim) only wires these.
#pragma once

#include "base/error.h"
#include "base/unique_fd.h"
#include "shim/options.h"

namespace berth::shim {

// The end of the socketpair the daemon's launcher passes (see shimproto/protocol.h).
inline constexpr int kDaemonFd = 3;

// fd 3 when the daemon passed it (made close-on-exec), else an empty fd.
UniqueFd take_daemon_fd();

// Logs the error and sends it to the daemon as a Failed frame.
void report_failure(int daemon_fd, const Error& e);

// Returns the process's exit status for main (0: the monitor did its job).
int run(const Options& opts, UniqueFd daemon);

}  // namespace berth::shim
