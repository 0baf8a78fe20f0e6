// Waiting for containers to reach a condition (depends_on's
// service_healthy / service_completed_successfully, `up --wait`) from the
// events stream, never a sleep loop: the current state is read first
// (inspect), and only what is not there yet is awaited on GET /events,
// replayed from a time taken before the inspect so nothing in between is lost.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "compose_ops/engine.h"

namespace berth::compose_ops {

enum class Condition {
  Healthy,      // service_healthy
  Completed,    // service_completed_successfully
  RunningOrHealthy,  // up --wait: running, and healthy when it has a healthcheck
};

struct WaitTarget {
  std::string id;
  std::string name;  // for messages
  std::string service;
};

enum class Verdict { Pending, Met, Failed };

// What a state means for a condition; *why is set for Failed, in Compose v2's words.
Verdict judge(Condition condition, const WaitTarget& target, const ContainerState& state, std::string* why);

// Applies one event to a container's known state (start, die, health_status).
void apply_event(const Event& event, ContainerState& state);

Result<void> wait_for(Engine& engine, const std::string& project, Condition condition,
                      const std::vector<WaitTarget>& targets);

}  // namespace berth::compose_ops
