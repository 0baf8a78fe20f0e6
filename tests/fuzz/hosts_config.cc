// Fuzz target: hosts.toml text (containerd's registry hosts layout) and
// registry-mirrors entries, as an administrator or a hostile file may write
// them (src/registry/hosts_config).
// Checks: nothing crashes or throws; whatever parses describes endpoints berth
// can put in a URL and a request: scheme http(s), a host without '/', '?',
// '#', '@' or spaces, an API root that is empty or an absolute path without
// "//", capabilities from pull/resolve/push, absolute certificate paths under
// the given directory when relative, headers "Name: value" without CR or LF;
// a mirror that normalizes normalizes to itself.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "registry/hosts_config.h"

using namespace berth;
using namespace berth::registry;

namespace {

const std::string kDir = "/etc/berth/certs.d/registry.example";

void check_entry(const HostEntry& e, bool server) {
  if (server && e.host.empty()) return;  // the registry's default endpoints
  FUZZ_CHECK(e.scheme == "http" || e.scheme == "https", "scheme '" + e.scheme + "'");
  FUZZ_CHECK(!e.host.empty() && e.host.find_first_of("/?#@ \t\r\n") == std::string::npos, "host '" + e.host + "'");
  FUZZ_CHECK(e.path.empty() || (e.path.front() == '/' && e.path.find("//") == std::string::npos &&
                                e.path.find_first_of("?# \r\n") == std::string::npos),
             "path '" + e.path + "'");
  FUZZ_CHECK(e.capabilities != 0 && (e.capabilities & ~unsigned(kCapAll)) == 0, "capabilities");
  for (const auto& f : e.ca_files) FUZZ_CHECK(!f.empty() && f.front() == '/', "ca '" + f + "'");
  for (const auto& [cert, key] : e.client_pairs) {
    FUZZ_CHECK(!cert.empty() && cert.front() == '/', "client cert '" + cert + "'");
    FUZZ_CHECK(key.empty() || key.front() == '/', "client key '" + key + "'");
  }
  for (const auto& h : e.headers) {
    FUZZ_CHECK(h.find_first_of("\r\n") == std::string::npos, "header with CR/LF");
    auto colon = h.find(": ");
    FUZZ_CHECK(colon != std::string::npos && colon > 0, "header '" + h + "'");
  }
  FUZZ_CHECK(e.dial_timeout_ms >= 0, "dial_timeout");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (auto f = parse_hosts_toml(input, kDir)) {
    for (const auto& h : f->hosts) check_entry(h, false);
    check_entry(f->server, true);
  } else {
    FUZZ_CHECK(f.error().message.rfind(kDir + "/hosts.toml", 0) == 0, "error without the file's name: " + f.error().message);
  }

  if (auto m = normalize_mirror(input)) {
    auto again = normalize_mirror(*m);
    FUZZ_CHECK(again && *again == *m, "mirror '" + *m + "' normalized again differs");
    auto h = mirror_host(input);
    FUZZ_CHECK(h.has_value(), "a valid mirror is not a host");
    check_entry(*h, false);
  }
  (void)host_dir_names(input);
  return 0;
}
