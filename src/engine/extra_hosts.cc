#include "engine/extra_hosts.h"

#include <arpa/inet.h>

namespace berth::engine {

Result<std::vector<ExtraHost>> parse_extra_hosts(const std::vector<std::string>& entries) {
  std::vector<ExtraHost> out;
  for (const auto& e : entries) {
    // The host ends at the first ':' or '=' (an IPv6 address has colons of its own).
    auto sep = e.find_first_of(":=");
    if (sep == std::string::npos || sep == 0)
      return fail(Errc::InvalidArgument, "bad format for add-host: \"" + e + "\"");
    ExtraHost h{e.substr(0, sep), e.substr(sep + 1)};
    if (h.ip.size() > 2 && h.ip.front() == '[' && h.ip.back() == ']') h.ip = h.ip.substr(1, h.ip.size() - 2);
    if (h.ip == kHostGateway) {
      out.push_back(std::move(h));
      continue;
    }
    unsigned char buf[16];
    if (::inet_pton(AF_INET, h.ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, h.ip.c_str(), buf) != 1)
      return fail(Errc::InvalidArgument, "invalid IP address in add-host: \"" + h.ip + "\"");
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace berth::engine
