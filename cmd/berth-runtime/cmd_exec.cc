// exec: run a new process in a running container.
#include "base/file.h"
#include "base/strings.h"
#include "cli.h"

namespace berth::cli {
namespace {

struct ExecFlags {
  std::string id;
  std::string process_file;
  std::vector<std::string> args;
  bool tty = false;
  std::vector<std::string> env;
  std::string cwd;
  std::string user;
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;
  bool no_new_privs = false;
  std::string apparmor, process_label;
  runtime::ExecOptions opts;
};

void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto eq = kv.find('=');
  std::string key = kv.substr(0, eq);
  for (auto& e : env) {
    if (e.substr(0, e.find('=')) == key) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

Result<spec::Process> build_process(const Globals& g, ExecFlags& f) {
  if (!f.process_file.empty()) {
    std::string text = TRY(read_file(f.process_file));
    return TRY_CTX(spec::parse_process(text), "--process " + f.process_file);
  }
  if (f.args.empty()) return fail(Errc::InvalidArgument, "exec: no command given (pass it after the id, or --process FILE)");
  spec::Process p = TRY(runtime::container_process_spec(g.ctx, f.id));
  p.args = f.args;
  p.terminal = f.tty;
  p.console_size.reset();
  for (const auto& e : f.env) set_env(p.env, e);
  if (!f.cwd.empty()) p.cwd = f.cwd;
  if (!f.user.empty()) {
    auto parts = split(f.user, ':');
    auto uid = parse_uint(parts[0]);
    if (!uid || parts.size() > 2) return fail(Errc::InvalidArgument, "--user: expected UID[:GID], got '" + f.user + "'");
    p.user.uid = static_cast<uint32_t>(*uid);
    p.user.gid = 0;
    if (parts.size() == 2) {
      auto gid = parse_uint(parts[1]);
      if (!gid) return fail(Errc::InvalidArgument, "--user: bad gid in '" + f.user + "'");
      p.user.gid = static_cast<uint32_t>(*gid);
    }
    p.user.additional_gids.clear();
  }
  if (!f.additional_gids.empty()) p.user.additional_gids = f.additional_gids;
  if (!f.caps.empty()) {
    if (!p.capabilities) p.capabilities = spec::Capabilities{};
    for (const auto& c : f.caps) {
      p.capabilities->bounding.push_back(c);
      p.capabilities->effective.push_back(c);
      p.capabilities->permitted.push_back(c);
    }
  }
  if (f.no_new_privs) p.no_new_privileges = true;
  if (!f.apparmor.empty()) p.apparmor_profile = f.apparmor;
  if (!f.process_label.empty()) p.selinux_label = f.process_label;
  return p;
}

}  // namespace

void add_exec_command(CLI::App& app, Globals& g, Action& action, const Wanted& want) {
  if (want("exec")) {
    static ExecFlags f;
    auto* exec = app.add_subcommand("exec", "run a new process inside a running container");
    exec->add_option("-p,--process", f.process_file, "process.json describing the process");
    exec->add_flag("-t,--tty", f.tty, "allocate a pseudo-TTY");
    exec->add_option("-e,--env", f.env, "set an environment variable (KEY=VALUE)");
    exec->add_option("--cwd", f.cwd, "working directory in the container");
    exec->add_option("-u,--user", f.user, "UID[:GID]");
    exec->add_option("-g,--additional-gids", f.additional_gids, "additional gids");
    exec->add_option("-c,--cap", f.caps, "add a capability");
    exec->add_flag("-d,--detach", f.opts.detach, "do not wait for the process");
    exec->add_option("--pid-file", f.opts.pid_file, "write the process's pid here");
    exec->add_option("--console-socket", f.opts.console_socket, "UNIX socket that receives the pty master");
    exec->add_flag("--no-new-privs", f.no_new_privs, "set no_new_privs");
    exec->add_option("--preserve-fds", f.opts.preserve_fds, "pass N extra fds");
    exec->add_option("--apparmor", f.apparmor, "AppArmor profile (not supported here)");
    exec->add_option("--process-label", f.process_label, "SELinux label (not supported here)");
    exec->add_option("id", f.id, "container id")->required();
    exec->add_option("command", f.args, "command and arguments");
    exec->callback([&] {
      action = [&]() -> Result<int> {
        f.opts.process = TRY(build_process(g, f));
        return runtime::exec_in_container(g.ctx, f.id, f.opts);
      };
    });
  }
}

}  // namespace berth::cli
