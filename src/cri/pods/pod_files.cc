#include "cri/pods/pod_files.h"

#include <climits>
#include <unistd.h>

namespace berth::cri {

std::string pod_resolv_conf(const runtime::v1::DNSConfig& dns, const std::string& host_resolv) {
  if (dns.servers().empty() && dns.searches().empty() && dns.options().empty()) return host_resolv;
  std::string out;
  if (!dns.searches().empty()) {
    out += "search";
    for (const auto& s : dns.searches()) out += " " + s;
    out += "\n";
  }
  for (const auto& s : dns.servers()) out += "nameserver " + s + "\n";
  if (!dns.options().empty()) {
    out += "options";
    for (const auto& o : dns.options()) out += " " + o;
    out += "\n";
  }
  return out;
}

std::string pod_hosts(bool host_network, const std::string& host_hosts) {
  if (host_network) return host_hosts;
  return "127.0.0.1\tlocalhost\n"
         "::1\tlocalhost ip6-localhost ip6-loopback\n"
         "fe00::0\tip6-localnet\n"
         "ff00::0\tip6-mcastprefix\n"
         "ff02::1\tip6-allnodes\n"
         "ff02::2\tip6-allrouters\n";
}

Result<void> check_hostname(const std::string& hostname) {
  if (hostname.size() > HOST_NAME_MAX)
    return fail(Errc::InvalidArgument, "hostname \"" + hostname + "\" is longer than " +
                                           std::to_string(HOST_NAME_MAX) + " characters");
  for (char c : hostname)
    if (c == '\0' || c == '\n' || c == ' ' || c == '/')
      return fail(Errc::InvalidArgument, "hostname \"" + hostname + "\" has a character a hostname cannot have");
  return {};
}

}  // namespace berth::cri
