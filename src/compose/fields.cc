#include "compose/fields.h"

#include <fmt/format.h>

#include <cmath>

#include "base/go_time.h"
#include "base/go_units.h"
#include "base/strings.h"
#include "compose/diagnostics.h"

namespace berth::compose {

nlohmann::json to_json(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null:
      return nullptr;
    case Node::Kind::Scalar:
      switch (scalar_type(n)) {
        case ScalarType::Null:
          return nullptr;
        case ScalarType::Bool:
          return ascii_lower(n.scalar) == "true";
        case ScalarType::Int:
          if (auto v = parse_int(n.scalar)) return *v;
          return n.scalar;
        case ScalarType::Float: {
          char* end = nullptr;
          double d = std::strtod(n.scalar.c_str(), &end);
          if (end && *end == 0 && std::isfinite(d)) return d;
          return n.scalar;
        }
        case ScalarType::String:
          return n.scalar;
      }
      return n.scalar;
    case Node::Kind::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const Node& item : n.items) a.push_back(to_json(item));
      return a;
    }
    case Node::Kind::Mapping: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& [k, v] : n.entries) o[k] = to_json(v);
      return o;
    }
  }
  return nullptr;
}

Result<std::string> as_string(const Node& n, const std::string& path) {
  if (!n.is_scalar()) return invalid_at(n, "", fmt::format("{} must be a string", path));
  return n.scalar;
}

Result<bool> as_bool(const Node& n, const std::string& path) {
  if (n.is_scalar()) {
    // Compose reads YAML 1.1's spellings too (compose-go's toBoolean).
    std::string s = ascii_lower(n.scalar);
    if (s == "true" || s == "yes" || s == "y" || s == "on") return true;
    if (s == "false" || s == "no" || s == "n" || s == "off") return false;
  }
  return invalid_at(n, "", fmt::format("{} must be a boolean", path));
}

Result<int64_t> as_int(const Node& n, const std::string& path) {
  if (n.is_scalar()) {
    if (auto v = parse_int(n.scalar)) return *v;
  }
  return invalid_at(n, "", fmt::format("{} must be a integer", path));
}

Result<double> as_number(const Node& n, const std::string& path) {
  if (n.is_scalar() && !n.scalar.empty()) {
    char* end = nullptr;
    double d = std::strtod(n.scalar.c_str(), &end);
    if (end && *end == 0 && std::isfinite(d)) return d;
  }
  return invalid_at(n, "", fmt::format("{} must be a number", path));
}

Result<Nanoseconds> as_duration(const Node& n, const std::string& path) {
  if (n.is_scalar()) {
    if (n.plain && parse_int(n.scalar)) return *parse_int(n.scalar) * 1000000000;  // bare seconds
    auto d = go::parse_duration(n.scalar);
    if (d) return *d;
    return invalid_at(n, path, d.error().message);
  }
  return invalid_at(n, "", fmt::format("{} must be a string", path));
}

Result<Bytes> as_bytes(const Node& n, const std::string& path) {
  if (n.is_scalar()) {
    if (auto v = parse_int(n.scalar)) return *v;
    auto b = go::ram_in_bytes(n.scalar);
    if (b) return *b;
    return invalid_at(n, path, b.error().message);
  }
  return invalid_at(n, "", fmt::format("{} must be a string or number", path));
}

Result<Fields> Fields::of(const Node& n, std::string path) {
  if (n.is_null()) return Fields(nullptr, std::move(path));
  if (!n.is_mapping()) return invalid_at(n, "", fmt::format("{} must be a mapping", path));
  return Fields(&n, std::move(path));
}

const Node* Fields::get(const char* key) {
  known_.insert(key);
  if (!node_) return nullptr;
  const Node* v = node_->find(key);
  return v;
}

Result<void> Fields::str(const char* key, std::string& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  out = TRY(as_string(*v, sub(key)));
  return {};
}

Result<void> Fields::boolean(const char* key, bool& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  out = TRY(as_bool(*v, sub(key)));
  return {};
}

Result<void> Fields::boolean(const char* key, std::optional<bool>& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  out = TRY(as_bool(*v, sub(key)));
  return {};
}

Result<void> Fields::integer(const char* key, std::optional<int64_t>& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  out = TRY(as_int(*v, sub(key)));
  return {};
}

Result<void> Fields::integer(const char* key, std::optional<int>& out) {
  std::optional<int64_t> wide;
  TRYV(integer(key, wide));
  if (wide) {
    if (*wide < INT32_MIN || *wide > INT32_MAX) {
      return invalid_at(*get(key), "", fmt::format("{} must be a integer", sub(key)));
    }
    out = static_cast<int>(*wide);
  }
  return {};
}

Result<void> Fields::number(const char* key, std::optional<double>& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  out = TRY(as_number(*v, sub(key)));
  return {};
}

Result<void> Fields::duration(const char* key, std::optional<Nanoseconds>& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  out = TRY(as_duration(*v, sub(key)));
  return {};
}

Result<void> Fields::bytes(const char* key, std::optional<Bytes>& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  out = TRY(as_bytes(*v, sub(key)));
  return {};
}

Result<void> Fields::strings(const char* key, std::vector<std::string>& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  if (v->is_scalar()) {
    out.push_back(v->scalar);
    return {};
  }
  if (!v->is_sequence()) return invalid_at(*v, "", fmt::format("{} must be a array", sub(key)));
  for (size_t i = 0; i < v->items.size(); ++i) {
    out.push_back(TRY(as_string(v->items[i], fmt::format("{}.{}", sub(key), i))));
  }
  return {};
}

Result<void> Fields::string_map(const char* key, StringMap& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  if (!v->is_mapping()) return invalid_at(*v, "", fmt::format("{} must be a mapping", sub(key)));
  for (const auto& [k, val] : v->entries) {
    if (val.is_null()) {
      out[k] = "";
      continue;
    }
    out[k] = TRY(as_string(val, sub(key) + "." + k));
  }
  return {};
}

Result<void> Fields::optional_map(const char* key, OptionalValueMap& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  if (!v->is_mapping()) return invalid_at(*v, "", fmt::format("{} must be a mapping", sub(key)));
  for (const auto& [k, val] : v->entries) {
    if (val.is_null()) {
      out[k] = std::nullopt;
      continue;
    }
    out[k] = TRY(as_string(val, sub(key) + "." + k));
  }
  return {};
}

Result<void> Fields::extra_hosts(const char* key, std::vector<ExtraHost>& out) {
  const Node* v = get(key);
  if (!v || v->is_null()) return {};
  if (!v->is_mapping()) return invalid_at(*v, "", fmt::format("{} must be a mapping", sub(key)));
  for (const auto& [host, ip] : v->entries) {
    if (ip.is_sequence()) {
      for (const Node& one : ip.items) out.push_back({host, TRY(as_string(one, sub(key) + "." + host))});
    } else {
      out.push_back({host, TRY(as_string(ip, sub(key) + "." + host))});
    }
  }
  return {};
}

void Fields::accept(std::initializer_list<const char*> keys) {
  for (const char* k : keys) known_.insert(k);
}

Result<void> Fields::finish(Extensions* extensions) {
  if (!node_) return {};
  for (const auto& [k, v] : node_->entries) {
    if (k.starts_with("x-")) {
      if (extensions) (*extensions)[k] = to_json(v);
      continue;
    }
    if (!known_.contains(k)) {
      return invalid_at(v, "", fmt::format("{} Additional property {} is not allowed", path_.empty() ? "(root)" : path_, k));
    }
  }
  return {};
}

}  // namespace berth::compose
