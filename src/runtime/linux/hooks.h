// OCI hooks: each runs with the container state JSON on stdin, its own args
// and env, and an optional timeout; output is kept for the error message.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime {

// Runs hooks in order and stops at the first failure. With ns_pid > 0 each
// hook runs inside that process's namespaces (createContainer, startContainer).
Result<void> run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind,
                       const std::string& state_json, pid_t ns_pid = 0);

}  // namespace berth::runtime
