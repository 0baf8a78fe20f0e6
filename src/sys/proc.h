// Facts about processes read from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/error.h"

namespace berth::sys {

// Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat):
// with the pid it identifies a process across PID reuse.
Result<uint64_t> process_start_time(pid_t pid);
// True when pid exists, is not a zombie, and started at start_time (0: any).
bool process_alive(pid_t pid, uint64_t start_time);

}  // namespace berth::sys
