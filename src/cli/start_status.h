// The exit status of `run` when the daemon refused to start the container.
// It comes from what the daemon recorded, never from its message: berthd (as
// dockerd) records State.ExitCode 127 for a command that is not found and 126
// for one that cannot be invoked, and answers a wait?condition=removed of an
// --rm container with that StatusCode.
#pragma once

#include <optional>

#include "api/client.h"
#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

// The StatusCode of a wait answer ({"StatusCode": N, "Error": {"Message": ...}});
// an error status, an Error.Message or an answer without StatusCode is an Error.
Result<int> wait_answer_status(const api::Response& r);

// The ExitCode a container's inspect records, when it records one (non-zero).
std::optional<int> recorded_exit_code(const Json& container);

// The status to leave with: the recorded one, else exit_status_for(refusal).
int refused_start_status(std::optional<int> recorded, const Error& refusal);

}  // namespace berth::cli
