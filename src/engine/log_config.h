// A container's effective log configuration: the daemon's default driver
// when none is asked for, the daemon's options for its own driver where the
// container sets none (as dockerd merges them), checked by the driver's rules.
#pragma once

#include <map>
#include <string>

#include "base/error.h"
#include "model/container_spec.h"

namespace berth::engine {

Result<model::LogConfig> effective_log_config(const model::LogConfig& requested, const std::string& daemon_driver,
                                              const std::map<std::string, std::string>& daemon_options);

}  // namespace berth::engine
