// docker top: the host's ps with the user's options, kept to the container's
// processes (the task says which they are).
#include "base/strings.h"
#include "engine/container_service.h"
#include "engine/ps_table.h"
#include "sys/run_program.h"

namespace berth::engine {

Result<model::ProcessTable> ContainerService::top(const std::string& ref, const std::string& ps_args) {
  auto c = TRY(find(ref));
  auto args = TRY(ps_arguments(ps_args));
  auto t = TRY(running_task(c));
  auto pids = TRY(t->pids());
  std::vector<std::string> pid_list;
  for (pid_t p : pids) pid_list.push_back(std::to_string(p));
  std::vector<std::string> argv = {"ps"};
  argv.insert(argv.end(), args.begin(), args.end());
  // Only the container's processes (-q), unless the options cannot take it
  // (as `f`): then all of them, filtered below.
  auto with_pids = argv;
  with_pids.insert(with_pids.end(), {"-q", join(pid_list, ",")});
  auto out = TRY(sys::run_program(with_pids));
  if (out.status != 0) out = TRY(sys::run_program(argv));
  if (out.status != 0) {
    std::string why = out.err.substr(0, out.err.find('\n'));
    return fail(Errc::InvalidArgument, "ps: " + (why.empty() ? "exit status " + std::to_string(out.status) : why));
  }
  return parse_ps_output(out.out, pids);
}

}  // namespace berth::engine
