// A container's health as its healthcheck probes found it (Docker's
// State.Health): the status, the current streak of failures and the last
// probes' results. Present only for a container with a healthcheck.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::model {

enum class HealthStatus { Starting, Healthy, Unhealthy };

// "starting", "healthy", "unhealthy".
std::string_view to_string(HealthStatus s);
// The inverse; false for anything else ("none" included).
bool parse_health_status(std::string_view s, HealthStatus& out);

struct HealthResult {
  std::string start, end;  // RFC 3339 nano, as Go prints a time.Time
  int exit_code = 0;
  std::string output;
  bool operator==(const HealthResult&) const = default;
};

struct Health {
  HealthStatus status = HealthStatus::Starting;
  int failing_streak = 0;
  std::vector<HealthResult> log;  // oldest first, at most 5
  bool operator==(const Health&) const = default;
};

}  // namespace berth::model
