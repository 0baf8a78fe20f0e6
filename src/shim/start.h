// Starting the monitored process through the runtime library, in this process.
#pragma once

#include <sys/types.h>

#include "base/error.h"
#include "shim/container_stdio.h"
#include "shim/options.h"

namespace berth::shim {

// Container mode: create + start from the bundle. Exec mode: exec the process
// (detached: it is this process's child) in the running container. Returns
// its pid. On failure nothing is left behind (the container is deleted).
Result<pid_t> start_process(const Options& o, ContainerStdio& stdio);

}  // namespace berth::shim
