#include "shim/start.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "base/defer.h"
#include "base/file.h"
#include "base/strings.h"
#include "runtime/container.h"
#include "shimproto/protocol.h"

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

// VM mode: berth-vm-runner is the process (vm/runner.h). It reports on fd 3
// one JSON line once the container's process runs in the guest (or why not)
// and closes it; with a terminal it has sent its pty end before that.
Result<pid_t> start_vm(const Options& o, ContainerStdio& stdio) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return fail_errno("creating the VM runner's ready pipe");
  UniqueFd ours(ready[0]), theirs(ready[1]);
  std::vector<std::string> args = {o.vm_runner, "--id", o.id, "--state-dir", o.state_dir, "--ready-fd", "3"};
  if (o.exec_mode())  // the container's runner is two levels up: <container>/exec/<exec id>
    args.insert(args.end(), {"--exec-process", o.exec_process, "--container-state-dir", o.state_dir + "/../.."});
  else
    args.insert(args.end(), {"--bundle", o.bundle});
  if (o.tty) args.insert(args.end(), {"--console-socket", o.state_dir + "/console.sock"});
  if (o.open_stdin) args.push_back("--stdin");
  args.insert(args.end(), o.vm_args.begin(), o.vm_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, theirs.get(), 3);
  TRYV(stdio.install());
  pid_t pid = 0;
  int err = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  stdio.restore();
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return fail_errno("starting " + o.vm_runner, err);
  theirs.reset();
  std::string line;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(ours.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ok")) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::string message = !j.is_discarded() && j.is_object() && j.contains("message") && j["message"].is_string()
                              ? j["message"].get<std::string>()
                              : "berth-vm-runner ended before the container started (see " + o.state_dir + "/vm.log)";
    std::string code = !j.is_discarded() && j.is_object() && j.contains("code") && j["code"].is_string()
                           ? j["code"].get<std::string>() : "Internal";
    return fail(errc_from_code(code), message);
  }
  TRYV(stdio.receive_console());
  TRYV(write_file_atomic(o.state_dir + "/pid", std::to_string(pid) + "\n", 0644, false));
  return pid;
}

}  // namespace

Result<pid_t> start_process(const Options& o, ContainerStdio& stdio) {
  if (o.vm_mode()) return start_vm(o, stdio);
  return o.exec_mode() ? start_exec(o, stdio) : start_container(o, stdio);
}

}  // namespace berth::shim
