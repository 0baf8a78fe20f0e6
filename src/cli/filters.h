// -f/--filter key=value flags -> the API's filters JSON
// ({"key":{"value":true}}, docker-cli's filters.ToJSON).
#pragma once

#include <string>
#include <vector>

namespace berth::cli {

std::string filters_json(const std::vector<std::string>& filters);

}  // namespace berth::cli
