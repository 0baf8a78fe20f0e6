// resolv.conf parsing and generation for the embedded DNS server.
#include <arpa/inet.h>

#include <sstream>

#include "net/dns.h"

namespace berth::net {
namespace {

std::vector<std::string> fields(std::string_view line) {
  // Comments start with '#' or ';' anywhere on the line.
  if (auto p = line.find_first_of("#;"); p != std::string_view::npos) line = line.substr(0, p);
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

bool is_loopback(const std::string& addr) {
  in_addr v4{};
  if (::inet_pton(AF_INET, addr.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  std::string a = addr.substr(0, addr.find('%'));  // fe80::1%eth0
  if (::inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.y.z
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool is_ip(const std::string& addr) {
  in_addr v4{};
  in6_addr v6{};
  return ::inet_pton(AF_INET, addr.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, addr.c_str(), &v6) == 1;
}

template <class F>
void each_line(std::string_view text, F f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    f(fields(text.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

std::vector<std::string> upstreams_from_resolv_conf(std::string_view text) {
  std::vector<std::string> out;
  each_line(text, [&](const std::vector<std::string>& f) {
    if (f.size() >= 2 && f[0] == "nameserver" && is_ip(f[1]) && !is_loopback(f[1])) out.push_back(f[1]);
  });
  return out;
}

std::string container_resolv_conf(std::string_view host_text, const std::vector<std::string>& dns_search,
                                  const std::vector<std::string>& dns_options) {
  // As glibc: the last search/domain line wins; options lines add up.
  std::vector<std::string> search;
  std::vector<std::string> options;
  each_line(host_text, [&](const std::vector<std::string>& f) {
    if (f.empty()) return;
    if (f[0] == "search" || f[0] == "domain") {
      search.assign(f.begin() + 1, f.end());
    } else if (f[0] == "options") {
      options.insert(options.end(), f.begin() + 1, f.end());
    }
  });
  if (!dns_search.empty()) search = dns_search;
  if (!dns_options.empty()) options = dns_options;
  bool has_ndots = false;
  for (const std::string& o : options) has_ndots = has_ndots || o.starts_with("ndots:");
  if (!has_ndots) options.push_back("ndots:0");

  std::string out = "nameserver 127.0.0.11\n";
  auto line = [&](const char* key, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out += key;
    for (const std::string& s : v) out += " " + s;
    out += "\n";
  };
  // "search ." (Docker's --dns-search .) means: no search domains.
  if (!(search.size() == 1 && search[0] == ".")) line("search", search);
  line("options", options);
  return out;
}

}  // namespace berth::net
