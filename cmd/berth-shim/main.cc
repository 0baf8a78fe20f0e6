// berth-shim: the monitor of one container process (or of one exec), started
// by berthd through task::launch_shim(). The monitor is a library (src/shim):
// this only wires the command line to it.
#include <sys/prctl.h>

#include "shim/options.h"
#include "shim/run.h"

int main(int argc, char** argv) {
  using namespace berth;
  // Nothing inside the container may open this process through /proc/PID/exe,
  // fd or mem while it works in the container's namespaces (CVE-2019-5736).
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  UniqueFd daemon = shim::take_daemon_fd();
  auto opts = shim::parse_options(argc, argv);
  if (!opts) {
    shim::report_failure(daemon.get(), opts.error());
    return 2;
  }
  return shim::run(*opts, std::move(daemon));
}
