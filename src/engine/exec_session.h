// An exec session (POST /containers/{id}/exec): kept in memory only, as
// dockerd does; its process runs under its own berth-shim.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "base/unique_fd.h"
#include "engine/engine.h"

namespace berth::engine {

struct Engine::Exec {
  std::string id;
  std::string container_id;
  ExecConfig cfg;
  bool running = false;
  bool started = false;
  std::optional<int> exit_code;
  pid_t pid = 0;
  UniqueFd shim_conn;  // writes under the engine's mu_
  pid_t shim_pid = 0;
};

}  // namespace berth::engine
