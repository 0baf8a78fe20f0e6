#include "compose/yaml_emit.h"

#include <fmt/format.h>

#include <regex>

namespace berth::compose {

namespace {

constexpr size_t kMaxImplicitKey = 1024;

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  // What a plain scalar would resolve to something else (YAML 1.2 core plus
  // the YAML 1.1 booleans go-yaml still quotes, and base-60 numbers).
  static const std::regex special(
      R"(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|)"
      R"([-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?\.[0-9]+([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|)"
      R"([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)");
  if (std::regex_match(s, special)) return true;
  const char first = s.front();
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos) {
    // "-x", "?x", ":x" are plain in YAML 1.2 when followed by a non-space, but go-yaml quotes the indicators.
    if (!((first == '-' || first == '?' || first == ':') && s.size() > 1 && s[1] != ' ')) return true;
  }
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::string double_quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02X}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string scalar(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) return yaml_scalar(v.get<std::string>());
  return v.dump();
}

bool inline_value(const nlohmann::ordered_json& v) { return !(v.is_object() || v.is_array()) || v.empty(); }

std::string inline_text(const nlohmann::ordered_json& v) {
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return scalar(v);
}

void emit(const nlohmann::ordered_json& v, int indent, std::string& out);

void emit_mapping(const nlohmann::ordered_json& v, int indent, std::string& out) {
  for (const auto& [k, child] : v.items()) {
    out.append(indent, ' ');
    std::string key = yaml_scalar(k);
    if (key.size() > kMaxImplicitKey) {
      // YAML limits an implicit key to 1024 characters; a longer one (an x-
      // key, a label name) is written as an explicit "? key" entry.
      out += "? " + key + '\n';
      out.append(indent, ' ');
    } else {
      out += key;
    }
    out += ':';
    if (inline_value(child)) {
      out += ' ';
      out += inline_text(child);
      out += '\n';
    } else {
      out += '\n';
      emit(child, indent + 2, out);
    }
  }
}

void emit_sequence(const nlohmann::ordered_json& v, int indent, std::string& out) {
  for (const auto& item : v) {
    out.append(indent, ' ');
    out += "- ";
    if (inline_value(item)) {
      out += inline_text(item);
      out += '\n';
    } else if (item.is_object()) {
      // The first key on the dash's line, the others aligned with it.
      std::string nested;
      emit_mapping(item, indent + 2, nested);
      out += nested.substr(static_cast<size_t>(indent) + 2);
    } else {
      std::string nested;
      emit_sequence(item, indent + 2, nested);
      out += nested.substr(static_cast<size_t>(indent) + 2);
    }
  }
}

void emit(const nlohmann::ordered_json& v, int indent, std::string& out) {
  if (v.is_object()) {
    emit_mapping(v, indent, out);
  } else if (v.is_array()) {
    emit_sequence(v, indent, out);
  } else {
    out.append(indent, ' ');
    out += scalar(v);
    out += '\n';
  }
}

}  // namespace

std::string yaml_scalar(const std::string& s) { return needs_quotes(s) ? double_quoted(s) : s; }

std::string emit_yaml(const nlohmann::ordered_json& doc) {
  std::string out;
  if (inline_value(doc)) return inline_text(doc) + "\n";
  emit(doc, 0, out);
  return out;
}

}  // namespace berth::compose
