// Entering a rootless berthd's namespaces (what RootlessKit does for dockerd,
// done inside berthd): the process forks; the child unshares a user, mount and
// network namespace; the parent, still in the host's namespaces, maps the
// child's ids with newuidmap/newgidmap (the user's /etc/subuid and /etc/subgid
// ranges above its own id, which becomes root inside), starts the user-mode
// network stack on the child's namespace, then stays to serve host ports
// (port_driver.h), forward SIGTERM/SIGINT and exit with the child's status.
// The child carries on as berthd, root in its namespace.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "rootless/netstack.h"

namespace berth::rootless {

struct BootOptions {
  NetStack net = NetStack::Pasta;
  int mtu = 65520;
  bool host_loopback = false;  // see NetStackOptions
  std::string runtime_dir;     // for the net stack's pid file
};

struct Booted {
  UniqueFd port_sock;  // to the outer process (PortClient)
  NetStack net = NetStack::Pasta;
};

// In the outer process this never returns (it exits with berthd's status);
// it returns in berthd's process once it is root in its namespaces. Call it
// before any thread starts. Fails (in the outer process, before the fork or
// while setting up) with a message saying what to fix.
Result<Booted> enter_namespaces(const BootOptions& options);

}  // namespace berth::rootless
