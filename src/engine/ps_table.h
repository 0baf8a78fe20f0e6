// docker top as dockerd does it: the host's `ps` run with the user's
// options, its table kept to the container's processes.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "model/container_info.h"

namespace berth::engine {

// The ps options split on spaces ("-ef" when empty); InvalidArgument for a
// format that renames the PID column ("-o pid=PROCESS" is fine, "-o x=PID" not).
Result<std::vector<std::string>> ps_arguments(const std::string& ps_args);

// ps's output -> the rows whose PID is one of pids (with the thread lines
// that follow them, as `ps m` prints). Titles split on ASCII whitespace; a
// last column with spaces (CMD) stays whole.
Result<model::ProcessTable> parse_ps_output(std::string_view output, const std::vector<pid_t>& pids);

}  // namespace berth::engine
