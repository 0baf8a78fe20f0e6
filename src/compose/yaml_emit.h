// A JSON document written as YAML the way go-yaml v3 writes Go values:
// block style, 2-space indent, sequences indented under their key, strings
// plain unless they would read as something else.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace berth::compose {

std::string emit_yaml(const nlohmann::ordered_json& doc);
// A string as go-yaml would write it as a scalar (plain or double-quoted).
std::string yaml_scalar(const std::string& s);

}  // namespace berth::compose
