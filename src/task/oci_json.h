// The OCI JSON a task hands its shim: the process of an exec (the
// container's own process with the exec's settings) and the resources of an
// update (linux.resources, as spec::parse_resources reads it).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "task/task.h"

namespace berth::task {

// config_json: the container's config.json. Its process with the request's
// args, terminal, env (set over the container's, key by key), cwd and user
// when given; no consoleSize (the exec's terminal gets its size by resize).
Result<nlohmann::json> exec_process_json(std::string_view config_json, const ExecRequest& request);

// Only the fields set: {"memory":{"limit","swap","reservation"},
// "cpu":{"shares","period","quota","cpus","mems"}, "pids":{"limit"},
// "blockIO":{"weight"}}.
nlohmann::json resources_json(const ResourceUpdate& update);

}  // namespace berth::task
