// WWW-Authenticate challenges (RFC 7235) as registries send them with a 401:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
//   Basic realm="Registry Realm"
// A response may carry several challenges, in one header value (comma
// separated) or in several header lines.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace berth::registry {

struct Challenge {
  std::string scheme;                         // lowercased: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lowercased, values unquoted and unescaped
  bool operator==(const Challenge&) const = default;
};

// Every challenge in the given header values, in order. Malformed parts are
// skipped (never an exception, never a crash: this parses what a server sent).
std::vector<Challenge> parse_challenges(const std::vector<std::string>& header_values);

}  // namespace berth::registry
