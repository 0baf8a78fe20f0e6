// Fuzz target: what the dashboard (src/ui) reads from a browser besides the
// HTTP framing (Beast's) and WebSocket frames (kubestream_frames): the Cookie
// header, the relayed API path against its allowlist, the Host and Origin
// checks, and the terminal's control messages. The input is split at NUL
// bytes into fields. Checks: no crash, leak or UB; a cookie value never spans
// a ';'; an allowed path is absolute, unversioned and has no empty, "." or
// ".." segment, and only GET, POST and DELETE pass; a loopback site accepts
// only its own port; an accepted terminal size is within 1..1000.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "ui/auth.h"
#include "ui/proxy_rules.h"
#include "ui/terminal_control.h"

using namespace berth::ui;

namespace {

std::vector<std::string_view> fields(std::string_view in) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t nul = in.find('\0');
    out.push_back(in.substr(0, nul));
    if (nul == std::string_view::npos) break;
    in.remove_prefix(nul + 1);
  }
  while (out.size() < 4) out.emplace_back();
  return out;
}

bool clean_path(std::string_view p) {
  if (p.empty() || p[0] != '/' || p.starts_with("/v1.")) return false;
  size_t pos = 1;
  while (pos <= p.size()) {
    size_t end = p.find('/', pos);
    if (end == std::string_view::npos) end = p.size();
    std::string_view seg = p.substr(pos, end - pos);
    if (seg.empty() || seg == "." || seg == "..") return false;
    pos = end + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto f = fields(in);

  std::string v = cookie_value(f[0], kSessionCookie);
  FUZZ_CHECK(v.find(';') == std::string::npos, "a cookie value spans a ';': " + v);

  for (const char* method : {"GET", "POST", "DELETE", "PUT", "HEAD"}) {
    if (proxy_allowed(method, f[1])) {
      FUZZ_CHECK(clean_path(f[1]), std::string("allowed an unclean path: ") + std::string(f[1]));
      FUZZ_CHECK(std::string_view(method) != "PUT" && std::string_view(method) != "HEAD",
                 std::string("allowed method ") + method);
    }
  }
  if (proxy_allowed(f[2], f[1]))
    FUZZ_CHECK(f[2] == "GET" || f[2] == "POST" || f[2] == "DELETE", "allowed method " + std::string(f[2]));

  Site loop{false, true, 18601};
  if (host_allowed(loop, f[2])) FUZZ_CHECK(std::string(f[2]).ends_with(":18601"), "a loopback site took " + std::string(f[2]));
  if (origin_matches(loop, f[3], f[2]))
    FUZZ_CHECK(std::string(f[3]).size() == std::string(f[2]).size() + 7, "an origin that is not http://HOST");

  if (auto s = parse_control(f[3]))
    FUZZ_CHECK(s->first >= 1 && s->first <= 1000 && s->second >= 1 && s->second <= 1000, "a size out of range");
  return 0;
}
