// Fuzz target: what a registry or a client sends the registry code
// (src/registry): WWW-Authenticate challenges, X-Registry-Auth, error bodies,
// platform strings and base64.
// Checks: nothing crashes; challenge schemes and parameter names come out
// lowercased; a platform that parses prints as text that parses to the same
// platform; base64 round-trips.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/base64.h"
#include "fuzz_check.h"
#include "registry/challenge.h"
#include "registry/client.h"
#include "registry/platform.h"

using namespace berth;

namespace {

bool lowercase(const std::string& s) {
  for (unsigned char c : s)
    if (std::isupper(c)) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // Split into header lines as a server's several WWW-Authenticate lines.
  std::vector<std::string> lines;
  size_t at = 0;
  while (at <= input.size()) {
    size_t nl = input.find('\n', at);
    lines.push_back(input.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  for (const auto& c : registry::parse_challenges(lines)) {
    FUZZ_CHECK(!c.scheme.empty() && lowercase(c.scheme), "scheme '" + c.scheme + "'");
    for (const auto& [k, v] : c.params) FUZZ_CHECK(lowercase(k), "parameter '" + k + "'");
  }

  (void)registry::decode_registry_auth(input);
  (void)registry::registry_error_text(input);

  if (auto p = registry::parse_platform(input)) {
    auto again = registry::parse_platform(registry::format_platform(*p));
    FUZZ_CHECK(again && *again == *p, "platform '" + input + "' printed as '" + registry::format_platform(*p) + "'");
  }

  FUZZ_CHECK(base64::decode(base64::encode(input)) == input, "base64 round trip");
  FUZZ_CHECK(base64::decode(base64::encode_url(input)) == input, "base64url round trip");
  (void)base64::decode(input);
  return 0;
}
