// berth-shim's command line (the launcher in src/shim is its only caller).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"

namespace berth::shim {

struct Options {
  std::string id;
  std::string runtime_root;
  std::string state_dir;
  // Container mode.
  std::string bundle;
  std::string log_path;
  uint64_t log_max_size = 0;
  int log_max_files = 1;
  // Exec mode: a file holding the spec::Process JSON.
  std::string exec_process;
  bool tty = false;
  bool open_stdin = false;

  bool exec_mode() const { return !exec_process.empty(); }
};

Result<Options> parse_options(int argc, char** argv);

}  // namespace berth::shim
