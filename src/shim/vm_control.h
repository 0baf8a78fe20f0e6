// berth-shim's side of a VM runner's control socket (vm/runner.h): one request, one
// answer, blocking.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::shim {

inline constexpr char kControlSocket[] = "vm.sock";

// Sends request to <state_dir>/vm.sock; the answer's "ok" value, or its error.
Result<nlohmann::json> control_call(const std::string& state_dir, const nlohmann::json& request);

}  // namespace berth::shim
