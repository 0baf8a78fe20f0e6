#include "shim/start.h"

#include <sys/wait.h>

#include "base/defer.h"
#include "base/file.h"
#include "base/strings.h"
#include "runtime/container.h"

namespace berth::shim {
namespace {

Result<pid_t> read_pid_file(const std::string& path) {
  std::string text = TRY(read_file(path));
  auto pid = parse_int(trim(text));
  if (!pid || *pid <= 0) return fail(Errc::Internal, "bad pid in " + path + ": " + text);
  return static_cast<pid_t>(*pid);
}

Result<pid_t> start_container(const Options& o, ContainerStdio& stdio) {
  runtime::RuntimeContext ctx{o.runtime_root};
  runtime::CreateOptions c;
  c.id = o.id;
  c.bundle = o.bundle;
  c.pid_file = o.state_dir + "/pid";
  c.console_socket = stdio.console_socket();
  TRYV(stdio.install());
  auto created = runtime::create_container(ctx, c);
  stdio.restore();
  pid_t pid = TRY(std::move(created));  // a failed create removes what it made
  auto cleanup = Defer([&] {
    (void)runtime::delete_container(ctx, o.id, true);
    ::waitpid(pid, nullptr, 0);
  });
  TRYV(stdio.receive_console());
  TRYV(runtime::start_container(ctx, o.id));
  cleanup.dismiss();
  return pid;
}

Result<pid_t> start_exec(const Options& o, ContainerStdio& stdio) {
  runtime::RuntimeContext ctx{o.runtime_root};
  runtime::ExecOptions e;
  e.process = TRY_CTX(spec::parse_process(TRY(read_file(o.exec_process))), o.exec_process);
  if (e.process.terminal != o.tty)
    return fail(Errc::InvalidArgument, "exec process: process.terminal does not match the shim's --tty");
  e.console_socket = stdio.console_socket();
  e.pid_file = o.state_dir + "/pid";
  e.detach = true;  // the process stays this process's child: the monitor waits for it
  TRYV(stdio.install());
  auto r = runtime::exec_in_container(ctx, o.id, e);
  stdio.restore();
  TRYV(r);
  pid_t pid = TRY(read_pid_file(e.pid_file));
  auto kill_it = Defer([&] {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  });
  TRYV(stdio.receive_console());
  kill_it.dismiss();
  return pid;
}

}  // namespace

Result<pid_t> start_process(const Options& o, ContainerStdio& stdio) {
  return o.exec_mode() ? start_exec(o, stdio) : start_container(o, stdio);
}

}  // namespace berth::shim
