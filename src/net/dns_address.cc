// DNS server addresses: "1.2.3.4", "1.2.3.4:5353", "2001:db8::1",
// "[2001:db8::1]:53" (see dns_impl.h).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>

#include "net/dns_impl.h"

namespace berth::net::dns_impl {

Result<SockAddr> parse_addr(const std::string& text, uint16_t default_port) {
  std::string host = text;
  uint16_t port = default_port;
  auto parse_port = [&](const std::string& p) -> bool {
    char* end = nullptr;
    unsigned long v = std::strtoul(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || v == 0 || v > 65535) return false;
    port = static_cast<uint16_t>(v);
    return true;
  };
  if (!text.empty() && text.front() == '[') {  // [v6]:port
    size_t close = text.find(']');
    if (close == std::string::npos) return fail(Errc::InvalidArgument, "bad DNS server address " + text);
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':' || !parse_port(text.substr(close + 2)))
        return fail(Errc::InvalidArgument, "bad DNS server address " + text);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    if (!parse_port(text.substr(colon + 1))) return fail(Errc::InvalidArgument, "bad DNS server address " + text);
  }
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len = sizeof(sockaddr_in6);
  } else {
    return fail(Errc::InvalidArgument, "bad DNS server address " + text);
  }
  return a;
}

Result<std::vector<SockAddr>> parse_upstreams(const std::vector<std::string>& list) {
  std::vector<SockAddr> out;
  for (const std::string& s : list) out.push_back(TRY(parse_addr(s, 53)));
  return out;
}

uint16_t port_of(const SockAddr& a) {
  return a.family() == AF_INET ? ntohs(reinterpret_cast<const sockaddr_in*>(&a.ss)->sin_port)
                               : ntohs(reinterpret_cast<const sockaddr_in6*>(&a.ss)->sin6_port);
}
void set_port(SockAddr& a, uint16_t port) {
  if (a.family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(&a.ss)->sin_port = htons(port);
  else
    reinterpret_cast<sockaddr_in6*>(&a.ss)->sin6_port = htons(port);
}

}  // namespace berth::net::dns_impl
