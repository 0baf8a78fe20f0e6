// The shim's answers to Request frames (shimproto/request.h), with the
// runtime library: short cgroup-file and signal operations, done in the
// monitor's loop. The monitor answers Conflict itself once the process has
// exited.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "shim/options.h"
#include "shimproto/request.h"

namespace berth::shim {

// pid: the monitored process (not yet reaped, so its pid is not reused).
Result<nlohmann::json> answer_request(const Options& opts, pid_t pid, const shimproto::Request& request);

}  // namespace berth::shim
