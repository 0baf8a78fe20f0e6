// Drives one engine exec (or attach) through a socketpair as the Docker API
// does with a client connection, and turns the connection into what the CRI
// wants: output by stream (Docker's 8-byte frames without a tty, raw with
// one) and input from an fd. Waits on poll, with an optional deadline after
// which on_deadline runs once (ExecSync's timeout kills the process).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::cri {

enum class OutStream { Stdout, Stderr };

struct PumpOptions {
  bool tty = false;
  int stdin_fd = -1;  // read until EOF and forwarded; -1: no input
  std::function<void(OutStream, std::string_view)> on_output;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::function<void()> on_deadline;
};

// start(server_end) runs the engine call that serves the connection until
// the process ends (it owns and closes server_end). Returns when the
// connection is closed and start has returned; true if the deadline passed.
Result<bool> pump_exec(const std::function<Result<void>(UniqueFd server_end)>& start, const PumpOptions& options);

}  // namespace berth::cri
