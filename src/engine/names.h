// Container IDs and names: random 64-hex IDs, Docker's name rules, and
// generated "adjective_surname" names when the user gives none.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace berth::engine {

std::string new_container_id();
// InvalidArgument with Docker's message for a bad name ("/"-prefixed or not).
Result<std::string> normalize_container_name(const std::string& name);
// A free generated name ("/eager_lovelace"); taken() says which are in use.
std::string generate_container_name(const std::function<bool(const std::string&)>& taken);

}  // namespace berth::engine
