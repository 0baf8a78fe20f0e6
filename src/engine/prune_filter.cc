#include "engine/prune_filter.h"

#include <ctime>

#include "base/strings.h"

namespace berth::engine {
namespace {

std::optional<int64_t> rfc3339_seconds(const std::string& s) {
  std::tm tm{};
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

// "10m", "1h30m", a unix time, or RFC 3339.
std::optional<int64_t> until_seconds(const std::string& v) {
  if (auto t = rfc3339_seconds(v)) return t;
  if (auto n = parse_int(v.substr(0, v.find('.')))) return *n;
  int64_t total = 0, num = 0;
  bool any = false;
  for (char ch : v) {
    if (ch >= '0' && ch <= '9') {
      num = num * 10 + (ch - '0');
      any = true;
      continue;
    }
    int64_t unit = ch == 'h' ? 3600 : ch == 'm' ? 60 : ch == 's' ? 1 : 0;
    if (!unit || !any) return std::nullopt;
    total += num * unit;
    num = 0;
    any = false;
  }
  if (any) return std::nullopt;
  return static_cast<int64_t>(std::time(nullptr)) - total;
}

bool has_label(const std::map<std::string, std::string>& labels, const std::string& f) {
  auto eq = f.find('=');
  auto it = labels.find(f.substr(0, eq));
  return it != labels.end() && (eq == std::string::npos || it->second == f.substr(eq + 1));
}

}  // namespace

Result<PruneFilter> PruneFilter::parse(const model::Filters& filters) {
  PruneFilter p;
  for (const auto& [key, values] : filters) {
    if (key == "label") {
      p.label_ = values;
    } else if (key == "label!") {
      p.not_label_ = values;
    } else if (key == "until") {
      for (const auto& v : values) {
        auto t = until_seconds(v);
        if (!t) return fail(Errc::InvalidArgument, "invalid filter 'until=" + v + "'");
        p.until_s_ = t;
      }
    } else {
      return fail(Errc::InvalidArgument, "invalid filter '" + key + "'");
    }
  }
  return p;
}

bool PruneFilter::matches(const std::map<std::string, std::string>& labels, const std::string& created) const {
  for (const auto& f : label_)
    if (!has_label(labels, f)) return false;
  for (const auto& f : not_label_)
    if (has_label(labels, f)) return false;
  if (until_s_) {
    auto t = rfc3339_seconds(created);
    if (!t || *t >= *until_s_) return false;
  }
  return true;
}

}  // namespace berth::engine
