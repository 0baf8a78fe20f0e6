#include "cli/filters.h"

#include "cli/template.h"

namespace berth::cli {

std::string filters_json(const std::vector<std::string>& filters) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : filters) {
    size_t eq = f.find('=');
    std::string key = f.substr(0, eq), value = eq == std::string::npos ? "" : f.substr(eq + 1);
    j[key][value] = true;
  }
  return j.dump();
}

}  // namespace berth::cli
