#include "rootless/netstack.h"

namespace berth::rootless {

const char* netstack_name(NetStack s) { return s == NetStack::Pasta ? "pasta" : "slirp4netns"; }

Result<NetStack> choose_netstack(const std::string& wanted,
                                 const std::function<bool(const std::string&)>& installed) {
  if (wanted == "pasta" || wanted == "slirp4netns") {
    NetStack s = wanted == "pasta" ? NetStack::Pasta : NetStack::Slirp4netns;
    if (!installed(wanted))
      return fail(Errc::NotFound, "rootless networking with " + wanted + " needs the program " + wanted +
                                      " on PATH (Debian package " + (wanted == "pasta" ? "passt" : "slirp4netns") + ")");
    return s;
  }
  if (wanted != "auto" && !wanted.empty())
    return fail(Errc::InvalidArgument, "rootless-network must be auto, pasta or slirp4netns, not '" + wanted + "'");
  if (installed("pasta")) return NetStack::Pasta;
  if (installed("slirp4netns")) return NetStack::Slirp4netns;
  return fail(Errc::NotFound,
              "rootless berthd needs a user-mode network stack: install pasta (Debian package passt) or slirp4netns");
}

std::vector<std::string> netstack_argv(NetStack s, const NetStackOptions& o) {
  const std::string pid = std::to_string(o.target);
  if (s == NetStack::Pasta) {
    // No port forwarding of pasta's own: berthd publishes ports itself.
    std::vector<std::string> a = {"pasta", "--config-net", "--quiet", "--ipv4-only", "--mtu", std::to_string(o.mtu),
                                  "--tcp-ports", "none", "--udp-ports", "none", "--tcp-ns", "none",
                                  "--udp-ns", "none", "--pid", o.pid_file};
    if (!o.host_loopback) a.push_back("--no-map-gw");
    a.push_back(pid);
    return a;
  }
  std::vector<std::string> a = {"slirp4netns", "--configure", "--mtu=" + std::to_string(o.mtu),
                                "--ready-fd=" + std::to_string(o.ready_fd), "--exit-fd=" + std::to_string(o.exit_fd),
                                "--userns-path=/proc/" + pid + "/ns/user", "--netns-type=path"};
  if (!o.host_loopback) a.push_back("--disable-host-loopback");
  a.push_back("/proc/" + pid + "/ns/net");
  a.push_back("tap0");
  return a;
}

}  // namespace berth::rootless
