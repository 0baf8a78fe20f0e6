// An exec session as the container service keeps it (in memory only, as
// dockerd does): what was asked, and its process while it runs.
#pragma once

#include <memory>

#include "engine/container_service.h"
#include "model/exec.h"
#include "task/task.h"

namespace berth::engine {

struct ContainerService::Exec {
  model::ExecInfo info;
  bool started = false;
  std::shared_ptr<task::Process> process;  // while it runs
};

}  // namespace berth::engine
