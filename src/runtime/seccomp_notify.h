// SCMP_ACT_NOTIFY: the container process sends its seccomp listener fd to the
// runtime, which hands it to the agent listening at linux.seccomp.listenerPath
// together with the container process state (OCI runtime spec, "seccomp").
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

// Reads the SeccompListener record from sync_fd (an Error record becomes the error).
Result<UniqueFd> receive_seccomp_listener(int sync_fd);
Result<void> send_to_seccomp_agent(int listener, const std::string& listener_path, const std::string& metadata,
                                   pid_t pid, const nlohmann::json& state);

}  // namespace berth::runtime
