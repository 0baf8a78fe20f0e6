// The files berthd bind-mounts over a container's /etc/hostname, /etc/hosts
// and /etc/resolv.conf, written at every start (as Docker regenerates them).
#include "base/file.h"
#include "engine/engine.h"

namespace berth::engine {
namespace {

std::string hosts_file(const std::string& hostname) {
  return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
         "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" +
         std::string("127.0.1.1\t") + hostname + "\n";
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
Result<void> Engine::write_etc_files(const Container& c) {
  std::string hostname = c.config.value("Hostname", "");
  bool host_net = c.host_config.value("NetworkMode", "") == "host";
  TRYV(write_file_atomic(c.hostname_path, hostname + "\n", 0644, false));
  TRYV(write_file_atomic(c.hosts_path, host_net ? read_file("/etc/hosts").value_or("") : hosts_file(hostname), 0644,
                         false));
  TRYV(write_file_atomic(c.resolv_conf_path, resolv_conf(), 0644, false));
  return {};
}

}  // namespace berth::engine
