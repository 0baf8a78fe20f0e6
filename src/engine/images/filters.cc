#include "engine/images/filters.h"

#include <nlohmann/json.hpp>

namespace berth::engine::images {

Result<Filters> Filters::parse(std::string_view json) {
  Filters f;
  if (json.empty()) return f;
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return fail(Errc::InvalidArgument, "invalid filters: not a JSON object: " + std::string(json));
  for (const auto& [key, v] : j.items()) {
    auto& out = f.values_[key];
    if (v.is_array()) {
      for (const auto& s : v)
        if (s.is_string()) out.push_back(s.get<std::string>());
    } else if (v.is_object()) {
      for (const auto& [s, on] : v.items())
        if (!on.is_boolean() || on.get<bool>()) out.push_back(s);
    } else {
      return fail(Errc::InvalidArgument, "invalid filters: value of '" + key + "' is neither a list nor a map");
    }
  }
  return f;
}

const std::vector<std::string>& Filters::get(const std::string& key) const {
  static const std::vector<std::string> none;
  auto it = values_.find(key);
  return it == values_.end() ? none : it->second;
}

Result<void> Filters::validate(const std::set<std::string>& accepted) const {
  for (const auto& [key, v] : values_)
    if (!accepted.contains(key)) return fail(Errc::InvalidArgument, "invalid filter '" + key + "'");
  return {};
}

bool Filters::exact_match(const std::string& key, const std::string& value) const {
  const auto& v = get(key);
  if (v.empty()) return true;
  for (const auto& x : v)
    if (x == value) return true;
  return false;
}

bool Filters::match_kv_list(const std::string& key, const std::map<std::string, std::string>& labels) const {
  for (const auto& want : get(key)) {
    auto eq = want.find('=');
    auto it = labels.find(want.substr(0, eq));
    if (it == labels.end()) return false;
    if (eq != std::string::npos && it->second != want.substr(eq + 1)) return false;
  }
  return true;
}

Result<bool> Filters::boolean(const std::string& key) const {
  bool result = false;
  for (const auto& v : get(key)) {
    if (v == "true" || v == "1") {
      result = true;
    } else if (v == "false" || v == "0") {
      result = false;
    } else {
      return fail(Errc::InvalidArgument, "Invalid filter '" + key + "=" + v + "'");
    }
  }
  return result;
}

}  // namespace berth::engine::images
