#include "model/container_info.h"

namespace berth::model {

std::string RunState::status(bool ever_started) const {
  if (removing) return "removing";
  if (dead) return "dead";
  if (restarting) return "restarting";
  if (running) return paused ? "paused" : "running";
  return ever_started ? "exited" : "created";
}

}  // namespace berth::model
