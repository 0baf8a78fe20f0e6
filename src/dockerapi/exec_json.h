// docker exec's JSON: the create body parsed, the inspect answer rendered.
#pragma once

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/exec.h"

namespace berth::dockerapi {

Result<model::ExecSpec> parse_exec_create(const nlohmann::json& body);
nlohmann::json render_exec(const model::ExecInfo& e);

}  // namespace berth::dockerapi
