// docker exec as types: what to run in a running container, and what the
// engine tells about an exec session.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace berth::model {

struct ExecSpec {
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value", over the container's
  std::string user, working_dir;  // "" = the container's
  bool tty = false, attach_stdin = false, attach_stdout = true, attach_stderr = true, privileged = false;
  std::string detach_keys;  // "" = ctrl-p,ctrl-q
};

struct ExecInfo {
  std::string id, container_id;
  ExecSpec spec;
  bool running = false;
  std::optional<int> exit_code;
  pid_t pid = 0;
};

}  // namespace berth::model
