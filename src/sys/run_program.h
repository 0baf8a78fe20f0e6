// Running a helper program to completion and collecting what it printed
// (posix_spawnp: nothing runs between fork and exec in a threaded daemon, no
// shell). For rare requests only (docker top); never on a container's start path.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::sys {

struct ProgramOutput {
  int status = 0;  // exit status; 128+N when killed by signal N
  std::string out, err;
};

// argv[0] is looked up in PATH. NotFound when it is not there.
Result<ProgramOutput> run_program(const std::vector<std::string>& argv);

}  // namespace berth::sys
