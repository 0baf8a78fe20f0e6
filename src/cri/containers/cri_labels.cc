#include "cri/containers/cri_labels.h"

#include <nlohmann/json.hpp>

namespace berth::cri {

std::string map_to_json(const std::map<std::string, std::string>& m) { return nlohmann::json(m).dump(); }

std::map<std::string, std::string> map_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

}  // namespace berth::cri
