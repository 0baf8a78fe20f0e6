#include "model/health.h"

namespace berth::model {

std::string_view to_string(HealthStatus s) {
  switch (s) {
    case HealthStatus::Starting: return "starting";
    case HealthStatus::Healthy: return "healthy";
    case HealthStatus::Unhealthy: return "unhealthy";
  }
  return "starting";
}

bool parse_health_status(std::string_view s, HealthStatus& out) {
  for (auto v : {HealthStatus::Starting, HealthStatus::Healthy, HealthStatus::Unhealthy})
    if (to_string(v) == s) {
      out = v;
      return true;
    }
  return false;
}

}  // namespace berth::model
