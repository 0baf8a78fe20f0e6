#include "server/http/target.h"

#include <charconv>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::server {
namespace {

// "1.41" -> {1, 41}; further parts ("1.41.2") are ignored, as Docker's
// comparison only looks at them when the first two are equal.
bool split_version(std::string_view v, int* major, int* minor) {
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data(), end, *major);
  if (ec != std::errc()) return false;
  *minor = 0;
  if (p == end) return true;
  if (*p != '.') return false;
  auto [p2, ec2] = std::from_chars(p + 1, end, *minor);
  return ec2 == std::errc();
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::multimap<std::string, std::string> parse_query(std::string_view query) {
  std::multimap<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == query.npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == pair.npos)
      out.emplace(percent_decode(pair, true), std::string());
    else
      out.emplace(percent_decode(pair.substr(0, eq), true), percent_decode(pair.substr(eq + 1), true));
  }
  return out;
}

ParsedTarget parse_target(std::string_view target) {
  ParsedTarget t;
  size_t qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  if (qpos != target.npos) t.query = target.substr(qpos + 1);
  // "/v" + [0-9.]+ + "/..." is a versioned path (Docker's router prefix).
  if (path.size() > 3 && path[0] == '/' && path[1] == 'v') {
    size_t end = path.find_first_not_of("0123456789.", 2);
    if (end != 2 && end != path.npos && path[end] == '/') {
      t.version = std::string(path.substr(2, end - 2));
      path = path.substr(end);
    }
  }
  t.path = std::string(path);
  return t;
}

VersionCheck check_api_version(const std::string& version, int min_minor, int max_minor) {
  VersionCheck r;
  int major = 0, minor = 0;
  if (!split_version(version, &major, &minor)) {
    r.error = fmt::format("invalid API version \"{}\"", version);
    return r;
  }
  if (major < 1 || (major == 1 && minor < min_minor)) {
    r.error = fmt::format(
        "client version {} is too old. Minimum supported API version is 1.{}, please upgrade your "
        "client to a newer version",
        version, min_minor);
  } else if (major > 1 || minor > max_minor) {
    r.error = fmt::format("client version {} is too new. Maximum supported API version is 1.{}", version,
                          max_minor);
  }
  r.minor = minor;
  return r;
}

}  // namespace berth::server
