// The shim's side of a runner's control socket (runner.h): one request, one
// answer, blocking.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::vm {

inline constexpr char kControlSocket[] = "vm.sock";

// Sends request to <state_dir>/vm.sock; the answer's "ok" value, or its error.
Result<nlohmann::json> control_call(const std::string& state_dir, const nlohmann::json& request);

}  // namespace berth::vm
