// The files berthd bind-mounts over a container's /etc/hostname, /etc/hosts
// and /etc/resolv.conf, written at every start (as Docker regenerates them).
#include "base/file.h"
#include "engine/container_service.h"
#include "engine/extra_hosts.h"
#include "net/dns.h"

namespace berth::engine {
namespace {

// Docker's /etc/hosts: loopback names, then the container's address on its
// first network (127.0.1.1 without one) with its hostname.
std::string hosts_file(const std::string& hostname, const std::string& ip) {
  return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
         "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" +
         (ip.empty() ? std::string("127.0.1.1") : ip) + "\t" + hostname + "\n";
}

// The host's resolv.conf without loopback resolvers (unreachable from a
// container's own network namespace), as Docker filters it.
std::string resolv_conf() {
  auto text = read_file("/etc/resolv.conf");
  if (!text) return "";
  std::string out;
  size_t pos = 0;
  while (pos < text->size()) {
    auto nl = text->find('\n', pos);
    std::string line = text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text->size() : nl + 1;
    if (line.rfind("nameserver", 0) == 0 &&
        (line.find(" 127.") != std::string::npos || line.find(" ::1") != std::string::npos))
      continue;
    out += line + "\n";
  }
  return out;
}

}  // namespace

// Not fsynced: they are rewritten at the next start if a crash loses them.
// A running container has them bind-mounted: they are rewritten in place
// (a rename would leave the container with the old file).
Result<void> ContainerService::write_etc_files(const Container& c, bool in_place) {
  auto write = [&](const std::string& path, const std::string& text) -> Result<void> {
    if (!in_place) return write_file_atomic(path, text, 0644, false);
    return write_existing(path, text);
  };
  const std::string& hostname = c.spec.config.hostname;
  bool host_net = c.spec.host.network_mode.kind == model::NetworkMode::Kind::Host;
  TRYV(write(c.hostname_path, hostname + "\n"));
  std::string ip;
  bool user_network = false;
  for (const auto& r : c.networks) {
    if (auto it = c.endpoints.find(r.name); it != c.endpoints.end()) {
      if (ip.empty()) ip = it->second.ip;
      user_network |= r.name != "bridge";
    }
  }
  std::string hosts = host_net ? read_file("/etc/hosts").value_or("") : hosts_file(hostname, ip);
  if (!hosts.empty() && hosts.back() != '\n') hosts += '\n';
  std::string gateway = cfg_.host_gateway_ip;  // looked up once, for the first host-gateway entry
  for (const auto& h : TRY(parse_extra_hosts(c.spec.host.extra_hosts))) {
    if (h.ip == kHostGateway && gateway.empty())
      gateway = TRY_CTX(deps_.networks->default_gateway(), "add-host " + h.host + ":host-gateway: ");
    hosts += (h.ip == kHostGateway ? gateway : h.ip) + "\t" + h.host + "\n";
  }
  TRYV(write(c.hosts_path, hosts));
  // On a user-defined network names go to berth's resolver at 127.0.0.11.
  std::string resolv = user_network ? net::container_resolv_conf(read_file("/etc/resolv.conf").value_or("")) : resolv_conf();
  TRYV(write(c.resolv_conf_path, resolv));
  return {};
}

}  // namespace berth::engine
