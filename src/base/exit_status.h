// The one mapping from an error to a process's exit status, shared by the
// daemon (the State.ExitCode it records for a container or exec whose command
// could not be started) and the CLI. Docker's rule (docker run's "Exit
// status"): 125 the container engine refused, 126 the command cannot be
// invoked, 127 the command cannot be found; any other status is the
// container's own. Decided from the error's errno, else its code; never its
// message.
#pragma once

#include "base/error.h"

namespace berth {

inline constexpr int kExitRefused = 125;
inline constexpr int kExitCannotInvoke = 126;
inline constexpr int kExitNotFound = 127;
inline constexpr int kExitStartFailed = 128;

// errno when there is one: ENOENT -> 127; EACCES, EPERM, EISDIR, ENOEXEC,
// ETXTBSY -> 126; any other -> 125. Without errno, by code: NotFound -> 127,
// PermissionDenied -> 126, any other -> 125.
int exit_status_for(const Error& e);

// The State.ExitCode dockerd records for a container whose start failed:
// 127 or 126 as above, else 128 ("unknown").
int container_exit_status_for(const Error& e);

}  // namespace berth
