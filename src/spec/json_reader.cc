#include "spec/json_reader.h"

namespace berth::spec {

JsonReader JsonReader::child(const char* key) const {
  const auto& c = j_[key];
  if (!c.is_object()) error(key, "expected an object");
  return JsonReader(c, field(key));
}

void JsonReader::error(const char* key, const std::string& why) const {
  throw FieldError(field(key) + ": " + why);
}

std::string JsonReader::str(const char* key, const std::string& def) const {
  if (!has(key)) return def;
  const auto& v = j_[key];
  if (!v.is_string()) error(key, "expected a string");
  return v.get<std::string>();
}

bool JsonReader::boolean(const char* key, bool def) const { return opt_bool(key).value_or(def); }

std::optional<bool> JsonReader::opt_bool(const char* key) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_[key];
  if (!v.is_boolean()) error(key, "expected true or false");
  return v.get<bool>();
}

std::optional<int64_t> JsonReader::opt_i64(const char* key) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_[key];
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) error(key, "number out of range");
    return static_cast<int64_t>(u);
  }
  if (!v.is_number_integer()) error(key, "expected an integer");
  return v.get<int64_t>();
}

std::optional<uint64_t> JsonReader::opt_u64(const char* key) const {
  if (!has(key)) return std::nullopt;
  const auto& v = j_[key];
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    // -1 is how runc's Go types spell "max" for unsigned fields in places.
    int64_t s = v.get<int64_t>();
    if (s < 0) error(key, "expected a non-negative integer");
    return static_cast<uint64_t>(s);
  }
  error(key, "expected a non-negative integer");
}

std::optional<uint32_t> JsonReader::opt_u32(const char* key) const {
  auto v = opt_u64(key);
  if (v && *v > UINT32_MAX) error(key, "number out of range (max 4294967295)");
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::vector<std::string> JsonReader::strings(const char* key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const auto& a = j_[key];
  if (!a.is_array()) error(key, "expected an array of strings");
  for (const auto& e : a) {
    if (!e.is_string()) error(key, "expected an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> JsonReader::string_map(const char* key) const {
  std::map<std::string, std::string> out;
  if (!has(key)) return out;
  const auto& o = j_[key];
  if (!o.is_object()) error(key, "expected an object of strings");
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (!it.value().is_string()) error(key, "value of '" + it.key() + "' must be a string");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace berth::spec
