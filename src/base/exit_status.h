// The one mapping from an error to an exit status, as Docker's tools report
// them: 127 when the command is not found, 126 when it cannot be invoked.
// Decided by the error's code and errno, never by its text.
#pragma once

#include "base/error.h"

namespace berth {

// The status a CLI exits with when a command of a container could not be run:
// 127 (not found), 126 (cannot be invoked), else 125 (the daemon refused).
int exit_status_for(const Error& e);
// The exit code recorded for a container whose start failed (State.ExitCode):
// 127, 126, else 128 as dockerd records.
int container_exit_status_for(const Error& e);

}  // namespace berth
