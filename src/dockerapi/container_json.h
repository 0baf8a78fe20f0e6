// The engine's container views rendered once, as Docker's JSON (API 1.41):
// inspect (GET /containers/{id}/json) and the list summaries
// (GET /containers/json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/container_info.h"

namespace berth::dockerapi {

nlohmann::json render_config(const model::ContainerConfig& c);
nlohmann::json render_host_config(const model::HostConfig& h);
nlohmann::json render_inspect(const model::ContainerInfo& c);
// now_s: the current time (unix seconds) for "Up 3 minutes".
nlohmann::json render_summary(const model::ContainerInfo& c, int64_t now_s);

// The list's Command: Path, then the arguments, each with a space quoted in
// single quotes ("sh -c 'echo a; echo b'"), as dockerd writes it.
std::string summary_command(const std::string& path, const std::vector<std::string>& args);
// State.Health: {"Status", "FailingStreak", "Log": [{"Start", "End", "ExitCode", "Output"}]}.
nlohmann::json render_health(const model::Health& h);
// "Up 3 minutes (Paused)", "Up 5 seconds (healthy)", "Up 1 second (health: starting)",
// "Exited (0) 2 seconds ago", "Created", ...
std::string status_text(const model::RunState& s, bool ever_started, int64_t now_s);

}  // namespace berth::dockerapi
