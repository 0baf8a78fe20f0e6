// `berth-shim --standby`: a shim started before any container needs it
// (task/shim_standby.h keeps one in berthd). It waits on the daemon's fd for
// one Launch frame (shimproto/assignment.h), takes the log it names as its
// stderr and shows the assigned command line in /proc/PID/cmdline; main then
// runs it as if it had been started with that command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "shimproto/assignment.h"

namespace berth::shim {

// While it waits: maps in the pages the work will touch (its code, data, a
// heap and a stack), so that the start does not fault them in one by one
// (each fault is a trap, ~16 us on a paravirtualised guest). One
// madvise(MADV_POPULATE_*) call does a whole range. Best effort.
void prefault();

// Blocks for the Launch frame. nullopt when the daemon closed the connection
// first (it stopped, or no longer wants a standby): the shim just exits.
Result<std::optional<shimproto::Assignment>> await_assignment(int daemon_fd);

// Opens the assignment's log and puts it on fd 2.
Result<void> take_log(const std::string& log_path);

// True for a standby's command line (shimproto::kStandbyFlag and
// kStandbyArgSpace empty arguments).
bool is_standby_command_line(int argc, char** argv);

// Writes args over the process's own argument area (argv[0] up to the end of
// the last argument, as the kernel laid it out), so that /proc/PID/cmdline and
// `ps` show the container's shim as if started with them; cut short when they
// do not fit.
void show_command_line(const std::vector<std::string>& args, int argc, char** argv);

}  // namespace berth::shim
