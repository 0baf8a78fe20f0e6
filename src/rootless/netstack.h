// The user-mode network stack that gives a rootless berthd's network namespace
// its way out: pasta (passt, preferred: no NAT of its own, splices loopback
// connections) or slirp4netns (libslirp). Either is a Debian program started
// once per daemon, attached to the daemon's namespaces by pid.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::rootless {

enum class NetStack { Pasta, Slirp4netns };
const char* netstack_name(NetStack s);

// `wanted` is "auto" (pasta when installed, else slirp4netns), "pasta" or
// "slirp4netns"; `installed` says whether a program is on PATH. Fails naming
// what is missing and the Debian package that has it.
Result<NetStack> choose_netstack(const std::string& wanted, const std::function<bool(const std::string&)>& installed);

struct NetStackOptions {
  pid_t target = 0;            // a process in the daemon's user and network namespaces
  int mtu = 65520;
  // The gateway address reaches the host's 127.0.0.1 (off by default, as
  // Docker's --disable-host-loopback and Podman's allow_host_loopback=false).
  bool host_loopback = false;
  std::string pid_file;        // pasta: where it writes the pid of its background process
  int ready_fd = -1;           // slirp4netns: written to once the interface is up
  int exit_fd = -1;            // slirp4netns: it exits when this pipe closes
};

// The program's argv. pasta configures the namespace's interface as the
// host's (address, route) and goes to the background once ready; slirp4netns
// makes tap0 with 10.0.2.100/24, gateway 10.0.2.2.
std::vector<std::string> netstack_argv(NetStack s, const NetStackOptions& o);

}  // namespace berth::rootless
