// Running a helper program to completion and collecting what it printed
// (posix_spawnp: nothing runs between fork and exec in a threaded daemon, no
// shell). For rare requests only (docker top, a credential helper); never on a
// container's start path.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::sys {

struct ProgramOutput {
  int status = 0;  // exit status; 128+N when killed by signal N
  std::string out, err;  // err stays empty when stderr was passed through
  bool timed_out = false;  // killed (SIGKILL) because it outlived ProgramOptions::timeout
};

struct ProgramOptions {
  // Written to the program's stdin, which is then closed; /dev/null when empty.
  // At most a pipe's capacity (64 KiB, grown up to pipe-max-size for more): it is written before the program starts,
  // so a program that exits without reading it cannot make the write fail.
  std::string input;
  // Killed when it has not exited by then; zero waits as long as it takes.
  std::chrono::milliseconds timeout{0};
  // The program's stderr is ours (a helper's messages reach the user), not collected.
  bool pass_stderr = false;
  // The program's whole environment ("KEY=VALUE" entries); ours when unset.
  std::optional<std::vector<std::string>> env;
};

// argv[0] is looked up in our PATH (not options.env's). NotFound when it is not there; the error's
// sys_errno is posix_spawnp's (ENOENT, EACCES, ...).
Result<ProgramOutput> run_program(const std::vector<std::string>& argv, const ProgramOptions& options = {});

// The executable `name` found on our PATH, or "" (a helper's presence, decided at run time).
std::string find_program(const std::string& name);

}  // namespace berth::sys
