// A runner's terminal: it opens a pty, sends the master to berth-shim's
// console socket (as the runtime library does for a container) and keeps the
// slave, raw, as its controlling terminal, so the shim's resizes reach it as
// SIGWINCH and bytes pass through untouched (the guest's pty does the line
// discipline).
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::vm {

// Makes the caller a session leader; returns the slave.
Result<UniqueFd> pty_for_console(const std::string& console_socket);

}  // namespace berth::vm
