#include "specgen/json_fields.h"

namespace berth::specgen::detail {
namespace {

std::unexpected<Error> wrong_type(const char* where, const char* key, const char* want,
                                  const nlohmann::json& v) {
  return fail(Errc::InvalidArgument, std::string(where) + "." + key + ": expected " + want +
                                         ", got " + v.type_name());
}

const nlohmann::json* find(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Result<std::string> get_string(const nlohmann::json& obj, const char* key, const char* where) {
  const auto* v = find(obj, key);
  if (!v) return std::string();
  if (!v->is_string()) return wrong_type(where, key, "a string", *v);
  return v->get<std::string>();
}

Result<int64_t> get_int(const nlohmann::json& obj, const char* key, const char* where) {
  auto v = TRY(get_opt_int(obj, key, where));
  return v.value_or(0);
}

Result<std::optional<int64_t>> get_opt_int(const nlohmann::json& obj, const char* key,
                                           const char* where) {
  const auto* v = find(obj, key);
  if (!v) return std::optional<int64_t>();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return wrong_type(where, key, "an int64", *v);
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (!v->is_number_integer()) return wrong_type(where, key, "an integer", *v);
  return std::optional<int64_t>(v->get<int64_t>());
}

Result<bool> get_bool(const nlohmann::json& obj, const char* key, const char* where) {
  const auto* v = find(obj, key);
  if (!v) return false;
  if (!v->is_boolean()) return wrong_type(where, key, "a boolean", *v);
  return v->get<bool>();
}

Result<std::vector<std::string>> get_strings(const nlohmann::json& obj, const char* key,
                                             const char* where) {
  std::vector<std::string> out;
  const auto* v = find(obj, key);
  if (!v) return out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) return wrong_type(where, key, "a list of strings", *v);
  for (const auto& e : *v) {
    if (!e.is_string()) return wrong_type(where, key, "a list of strings", e);
    out.push_back(e.get<std::string>());
  }
  return out;
}

bool has_value(const nlohmann::json& obj, const char* key) { return find(obj, key) != nullptr; }

Result<std::map<std::string, std::string>> get_string_map(const nlohmann::json& obj,
                                                          const char* key, const char* where) {
  std::map<std::string, std::string> out;
  const auto* v = find(obj, key);
  if (!v) return out;
  if (!v->is_object()) return wrong_type(where, key, "an object of strings", *v);
  for (const auto& [k, e] : v->items()) {
    if (!e.is_string()) return wrong_type(where, key, "an object of strings", e);
    out[k] = e.get<std::string>();
  }
  return out;
}

std::string env_key(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace berth::specgen::detail
