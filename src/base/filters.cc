#include "base/filters.h"

#include <algorithm>
#include <regex>

#include "base/strings.h"

namespace berth {

Result<Filters> Filters::parse(std::string_view json_text) {
  if (json_text.empty()) return Filters{};
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(Errc::InvalidArgument, "invalid filters: not JSON: " + std::string(json_text));
  return from_json(j);
}

Result<Filters> Filters::from_json(const nlohmann::json& j) {
  Filters f;
  if (j.is_null()) return f;
  if (!j.is_object()) return fail(Errc::InvalidArgument, "invalid filters: not a JSON object: " + j.dump());
  for (const auto& [key, val] : j.items()) {
    auto& out = f.values_[key];
    if (val.is_object()) {
      for (const auto& [v, on] : val.items())
        if (!on.is_boolean() || on.get<bool>()) out.push_back(v);
    } else if (val.is_array()) {
      for (const auto& v : val) {
        if (!v.is_string()) return fail(Errc::InvalidArgument, "invalid filter '" + key + "': values must be strings");
        out.push_back(v.get<std::string>());
      }
    } else if (val.is_string()) {
      out.push_back(val.get<std::string>());
    } else {
      return fail(Errc::InvalidArgument, "invalid filter '" + key + "': neither a list nor a map");
    }
    std::sort(out.begin(), out.end());  // a set, as Go keeps them
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return f;
}

const std::vector<std::string>& Filters::get(const std::string& key) const {
  static const std::vector<std::string> none;
  auto it = values_.find(key);
  return it == values_.end() ? none : it->second;
}

void Filters::add(const std::string& key, const std::string& value) {
  auto& v = values_[key];
  auto at = std::lower_bound(v.begin(), v.end(), value);
  if (at == v.end() || *at != value) v.insert(at, value);
}

Result<void> Filters::validate(const std::set<std::string>& accepted) const {
  for (const auto& [key, v] : values_)
    if (!accepted.contains(key)) return fail(Errc::InvalidArgument, "invalid filter '" + key + "'");
  return {};
}

bool Filters::exact_match(const std::string& key, const std::string& value) const {
  const auto& v = get(key);
  return v.empty() || std::binary_search(v.begin(), v.end(), value);
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

bool Filters::match(const std::string& key, const std::string& source) const {
  const auto& v = get(key);
  if (v.empty() || std::binary_search(v.begin(), v.end(), source)) return true;
  for (const auto& pattern : v) {
    try {
      if (std::regex_search(source, std::regex(pattern, std::regex::ECMAScript))) return true;
    } catch (const std::regex_error&) {
      // Go skips a pattern that does not compile.
    }
  }
  return false;
}

Result<bool> Filters::get_bool_or_default(const std::string& key, bool dflt) const {
  if (!contains(key)) return dflt;
  const auto& v = get(key);
  bool is_true = exact_match(key, "true") || exact_match(key, "1");
  bool is_false = exact_match(key, "false") || exact_match(key, "0");
  if (v.empty()) return fail(Errc::InvalidArgument, "invalid filter '" + key + "'");
  if (is_true == is_false) return fail(Errc::InvalidArgument, "invalid filter '" + key + "=" + join(v, ",") + "'");
  return is_true;
}

}  // namespace berth
