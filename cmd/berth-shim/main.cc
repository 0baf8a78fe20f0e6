// berth-shim: the monitor of one container process (or of one exec), started
// by berthd through task::launch_shim(). The monitor is a library (src/shim):
// this only wires the command line to it.
#include <sys/prctl.h>

#include "shim/options.h"
#include "shim/run.h"
#include "shim/standby.h"

namespace {

using namespace berth;

int run_with(const std::vector<std::string>& args, UniqueFd daemon) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto opts = shim::parse_options(static_cast<int>(args.size()), argv.data());
  if (!opts) {
    shim::report_failure(daemon.get(), opts.error());
    return 2;
  }
  return shim::run(*opts, std::move(daemon));
}

// Started ahead of need: wait for the container (or exec) to monitor.
int standby(UniqueFd daemon, int argc, char** argv) {
  shim::prefault();
  auto assignment = shim::await_assignment(daemon.get());
  if (!assignment) {
    shim::report_failure(daemon.get(), assignment.error());
    return 2;
  }
  if (!*assignment) return 0;  // the daemon went away first
  if (auto r = shim::take_log((*assignment)->log_path); !r) {
    shim::report_failure(daemon.get(), r.error());
    return 1;
  }
  shim::show_command_line((*assignment)->args, argc, argv);
  return run_with((*assignment)->args, std::move(daemon));
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing inside the container may open this process through /proc/PID/exe,
  // fd or mem while it works in the container's namespaces (CVE-2019-5736).
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  UniqueFd daemon = shim::take_daemon_fd();
  if (shim::is_standby_command_line(argc, argv)) return standby(std::move(daemon), argc, argv);
  return run_with(std::vector<std::string>(argv, argv + argc), std::move(daemon));
}
