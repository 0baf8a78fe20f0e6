// Request-target parsing: the "/v1.NN" API version prefix, the path and the
// query string (percent-decoding, '+' as space, repeated keys kept).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth::server {

// "%2F" -> "/"; with plus_is_space (query strings) '+' -> ' '. A malformed
// escape ("%zz", a lone "%") is kept literally rather than refused.
std::string percent_decode(std::string_view s, bool plus_is_space);

// "a=1&b=x+y&a=2" -> {a:1, a:2, b:"x y"}; "flag" alone -> {flag:""}.
std::multimap<std::string, std::string> parse_query(std::string_view query);

struct ParsedTarget {
  std::string path;                  // without the version prefix and the query
  std::string_view query;            // raw, after '?'
  std::optional<std::string> version;  // "1.41" when the path began with "/v1.41/"
};
ParsedTarget parse_target(std::string_view target);

// The version check Docker's middleware does. Returns the minor version to
// serve, or the error message ("client version 1.50 is too new. ...").
struct VersionCheck {
  int minor = 0;
  std::string error;  // empty when accepted
};
VersionCheck check_api_version(const std::string& version, int min_minor, int max_minor);

}  // namespace berth::server
