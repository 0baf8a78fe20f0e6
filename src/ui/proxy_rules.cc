#include "ui/proxy_rules.h"

#include <vector>

namespace berth::ui {

namespace {

struct Rule {
  std::string_view method;
  std::string_view pattern;  // "*": one segment; "**": one or more (image names have slashes)
};

constexpr Rule kRules[] = {
    {"GET", "/_ping"},
    {"GET", "/version"},
    {"GET", "/info"},
    {"GET", "/events"},
    {"GET", "/system/df"},
    {"GET", "/containers/json"},
    {"GET", "/containers/*/json"},
    {"GET", "/containers/*/logs"},
    {"GET", "/containers/*/stats"},
    {"GET", "/containers/*/top"},
    {"POST", "/containers/*/start"},
    {"POST", "/containers/*/stop"},
    {"POST", "/containers/*/restart"},
    {"POST", "/containers/*/kill"},
    {"POST", "/containers/*/pause"},
    {"POST", "/containers/*/unpause"},
    {"DELETE", "/containers/*"},
    {"GET", "/images/json"},
    {"GET", "/images/**/json"},
    {"GET", "/images/**/history"},
    {"POST", "/images/create"},
    {"DELETE", "/images/**"},
    {"GET", "/networks"},
    {"GET", "/networks/*"},
    {"DELETE", "/networks/*"},
    {"GET", "/volumes"},
    {"GET", "/volumes/*"},
    {"DELETE", "/volumes/*"},
};

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool segments_ok(const std::vector<std::string_view>& segs) {
  for (auto s : segs)
    if (s.empty() || s == "." || s == "..") return false;
  return true;
}

bool match(std::string_view pattern, const std::vector<std::string_view>& path) {
  auto pat = split(pattern);
  size_t rest = pat.size();
  for (size_t i = 0; i < pat.size(); ++i)
    if (pat[i] == "**") rest = i;
  if (rest == pat.size()) {
    if (pat.size() != path.size()) return false;
    for (size_t i = 0; i < pat.size(); ++i)
      if (pat[i] != "*" && pat[i] != path[i]) return false;
    return true;
  }
  size_t after = pat.size() - rest - 1;  // fixed segments after "**"
  if (path.size() < rest + 1 + after) return false;
  for (size_t i = 0; i < rest; ++i)
    if (pat[i] != "*" && pat[i] != path[i]) return false;
  for (size_t i = 0; i < after; ++i)
    if (pat[pat.size() - 1 - i] != path[path.size() - 1 - i]) return false;
  return true;
}

}  // namespace

bool proxy_allowed(std::string_view method, std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  auto segs = split(path);
  if (!segments_ok(segs)) return false;
  for (const auto& r : kRules)
    if (r.method == method && match(r.pattern, segs)) return true;
  return false;
}

}  // namespace berth::ui
