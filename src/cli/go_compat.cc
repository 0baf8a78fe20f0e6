#include "cli/go_compat.h"

#include <map>

#include "base/strings.h"

namespace berth::cli {

Result<std::vector<std::string>> csv_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::string cur;
  size_t i = 0;
  while (true) {
    cur.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return fail(Errc::InvalidArgument, "parse error: extraneous or missing \" in quoted-field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cur += line[i++];
      }
      if (i < line.size() && line[i] != ',') {
        return fail(Errc::InvalidArgument, "parse error: extraneous or missing \" in quoted-field");
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return fail(Errc::InvalidArgument, "parse error: bare \" in non-quoted-field");
        cur += line[i++];
      }
    }
    fields.push_back(cur);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

std::string absolute_path(const std::string& path, const std::string& cwd) {
  std::string joined = path.starts_with("/") ? path : cwd + "/" + path;
  std::vector<std::string> out;
  for (const auto& part : split(joined, '/', true)) {
    if (part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(part);
  }
  return "/" + join(out, "/");
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<bool> go_parse_bool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False") return false;
  return fail(Errc::InvalidArgument, "invalid bool");
}

Json string_map(const std::vector<std::string>& pairs) {
  std::map<std::string, std::string> m;
  for (const auto& p : pairs) {
    size_t eq = p.find('=');
    m[p.substr(0, eq)] = eq == std::string::npos ? "" : p.substr(eq + 1);
  }
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

Result<std::string> compact_json(std::string_view raw) {
  // Validate first: docker-cli's json.Compact refuses malformed JSON.
  if (!nlohmann::json::accept(raw)) return fail(Errc::InvalidArgument, "invalid JSON");
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < raw.size()) out += raw[++i];
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out += c;
    }
  }
  return out;
}

}  // namespace berth::cli
