// Starting a keeper (berth-vm-runner --pool-vm for the pool, --pod-vm for a
// VM pod): the runner forks the keeper and exits at once, so the keeper is
// nobody's child and outlives berthd; the keeper reports one JSON line on the
// socket it got as fd 3 once its VM booted ({"ok":true,"pid":N,"socket":S}),
// or why it could not ({"message":...}).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::vm {

struct KeeperReady {
  pid_t pid = 0;
  std::string socket;  // where runners adopt or join its VM
  UniqueFd conn;       // our end of the fd-3 socket (the pool's keeper watches it)
};

// Runs args (args[0]: berth-vm-runner) with the report socket as fd 3 and
// stdio on /dev/null, and waits up to timeout_s for the report. `what` names
// the VM in messages ("the pooled VM in DIR").
Result<KeeperReady> spawn_keeper(std::vector<std::string> args, const std::string& what, int timeout_s = 120);

}  // namespace berth::vm
