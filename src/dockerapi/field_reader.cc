#include "dockerapi/field_reader.h"

#include <strings.h>

namespace berth::dockerapi {

using nlohmann::json;

std::string go_value_kind(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number " + v.dump();
    default: return "null";
  }
}

bool is_unsigned_integer(const json& v) {
  // Parsed text gives number_unsigned; a document built in C++ may hold a
  // non-negative number_integer for the same value.
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

Error type_error(const json& v, const std::string& field, const char* go_type) {
  return Error{Errc::InvalidArgument, 0,
               "json: cannot unmarshal " + go_value_kind(v) + " into Go struct field " + field + " of type " + go_type};
}

Result<FieldReader> FieldReader::of(const json& value, std::string path) {
  if (value.is_null()) return FieldReader(nullptr, std::move(path));
  if (!value.is_object()) return std::unexpected(type_error(value, path, "struct"));
  return FieldReader(&value, std::move(path));
}

std::string FieldReader::field(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

const json* FieldReader::raw(const char* key) const {
  if (!obj_) return nullptr;
  if (auto it = obj_->find(key); it != obj_->end()) return &*it;
  // Go matches field names without regard to case when no exact match exists.
  for (auto it = obj_->begin(); it != obj_->end(); ++it)
    if (strcasecmp(it.key().c_str(), key) == 0) return &*it;
  return nullptr;
}

bool FieldReader::has(const char* key) const {
  const json* v = raw(key);
  return v && !v->is_null();
}

Result<std::string> FieldReader::string(const char* key) const {
  const json* v = raw(key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return std::unexpected(type_error(*v, field(key), "string"));
  return v->get<std::string>();
}

Result<bool> FieldReader::boolean(const char* key) const {
  const json* v = raw(key);
  if (!v || v->is_null()) return false;
  if (!v->is_boolean()) return std::unexpected(type_error(*v, field(key), "bool"));
  return v->get<bool>();
}

Result<int64_t> FieldReader::int64(const char* key) const {
  const json* v = raw(key);
  if (!v || v->is_null()) return int64_t{0};
  if (v->is_number_integer() && !(v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)))
    return v->get<int64_t>();
  return std::unexpected(type_error(*v, field(key), "int64"));
}

Result<uint64_t> FieldReader::uint64(const char* key) const {
  const json* v = raw(key);
  if (!v || v->is_null()) return uint64_t{0};
  if (is_unsigned_integer(*v)) return v->get<uint64_t>();
  return std::unexpected(type_error(*v, field(key), "uint64"));
}

Result<std::optional<int64_t>> FieldReader::opt_int64(const char* key) const {
  if (!has(key)) return std::optional<int64_t>();
  return std::optional<int64_t>(TRY(int64(key)));
}

Result<std::optional<bool>> FieldReader::opt_bool(const char* key) const {
  if (!has(key)) return std::optional<bool>();
  return std::optional<bool>(TRY(boolean(key)));
}

Result<std::optional<std::vector<std::string>>> FieldReader::opt_strings(const char* key) const {
  const json* v = raw(key);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return std::unexpected(type_error(*v, field(key), "[]string"));
  std::vector<std::string> out;
  for (const auto& e : *v) {
    if (!e.is_string()) return std::unexpected(type_error(e, field(key), "string"));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> FieldReader::strings(const char* key) const {
  return TRY(opt_strings(key)).value_or(std::vector<std::string>{});
}

Result<std::optional<std::vector<std::string>>> FieldReader::str_slice(const char* key) const {
  const json* v = raw(key);
  if (v && v->is_string()) return std::optional<std::vector<std::string>>(std::vector{v->get<std::string>()});
  if (v && !v->is_null() && !v->is_array()) return std::unexpected(type_error(*v, field(key), "strslice.StrSlice"));
  return opt_strings(key);
}

Result<std::map<std::string, std::string>> FieldReader::string_map(const char* key) const {
  const json* v = raw(key);
  std::map<std::string, std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return std::unexpected(type_error(*v, field(key), "map[string]string"));
  for (const auto& [k, e] : v->items()) {
    if (!e.is_string()) return std::unexpected(type_error(e, field(key), "string"));
    out[k] = e.get<std::string>();
  }
  return out;
}

Result<std::set<std::string>> FieldReader::key_set(const char* key) const {
  const json* v = raw(key);
  std::set<std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return std::unexpected(type_error(*v, field(key), "map[string]struct {}"));
  for (const auto& [k, e] : v->items()) {
    if (!e.is_null() && !e.is_object()) return std::unexpected(type_error(e, field(key), "struct {}"));
    out.insert(k);
  }
  return out;
}

Result<FieldReader> FieldReader::object(const char* key) const {
  const json* v = raw(key);
  if (!v) return FieldReader(nullptr, field(key));
  return of(*v, field(key));
}

Result<std::vector<FieldReader>> FieldReader::objects(const char* key) const {
  const json* v = raw(key);
  std::vector<FieldReader> out;
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return std::unexpected(type_error(*v, field(key), "[]struct"));
  for (size_t i = 0; i < v->size(); ++i) out.push_back(TRY(of((*v)[i], field(key) + "[" + std::to_string(i) + "]")));
  return out;
}

Result<std::map<std::string, FieldReader>> FieldReader::object_map(const char* key) const {
  const json* v = raw(key);
  std::map<std::string, FieldReader> out;
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return std::unexpected(type_error(*v, field(key), "map[string]struct"));
  for (const auto& [k, e] : v->items()) out.emplace(k, TRY(of(e, field(key) + "[" + k + "]")));
  return out;
}

}  // namespace berth::dockerapi
