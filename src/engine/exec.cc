// docker exec: sessions created in memory, each run under its own berth-shim
// in exec mode; the client's hijacked connection is served from this thread.
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/detach_keys.h"
#include "engine/exec_session.h"
#include "engine/socket_io.h"
#include "engine/names.h"
#include "task/launcher.h"
#include "specgen/specgen.h"

namespace berth::engine {
namespace {

std::string env_key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

}  // namespace

Result<std::string> Engine::exec_create(const std::string& ref, const ExecConfig& cfg) {
  if (cfg.cmd.empty()) return fail(Errc::InvalidArgument, "No exec command specified");
  std::lock_guard lk(mu_);
  auto c = TRY(lookup(ref));
  if (!c->state.running) return fail(Errc::Conflict, "Container " + c->id + " is not running");
  if (c->state.paused)
    return fail(Errc::Conflict, "Container " + c->id + " is paused, unpause the container before exec");
  auto e = std::make_shared<Exec>();
  e->id = new_container_id();
  e->container_id = c->id;
  e->cfg = cfg;
  execs_[e->id] = e;
  publish(*c, "exec_create: " + join(cfg.cmd, " "), {{"execID", e->id}});
  return e->id;
}

Result<void> Engine::exec_start(const std::string& exec_id, bool detach, std::optional<bool> tty_override,
                                UniqueFd client, std::string buffered) {
  std::shared_ptr<Exec> e;
  std::shared_ptr<Container> c;
  std::string bundle;
  {
    std::lock_guard lk(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return fail(Errc::NotFound, "No such exec instance: " + exec_id);
    e = it->second;
    if (e->started) return fail(Errc::Conflict, "Error: Exec command " + exec_id + " has already run");
    c = TRY(lookup(e->container_id));
    if (!c->state.running) return fail(Errc::Conflict, "Container " + c->id + " is not running");
    e->started = true;
    e->running = true;
    if (tty_override) e->cfg.tty = *tty_override;
    bundle = bundle_dir(c->id);
  }
  int client_fd = client.get();
  auto finish = [&](int code, const std::string& message) {
    // As dockerd: the error goes to the client's stdout, framed unless a TTY.
    if (!message.empty() && client_fd >= 0)
      send_all(client_fd, e->cfg.tty ? message + "\r\n" : shimproto::encode_frame(shimproto::Frame::Stdout, message + "\r\n"));
    std::lock_guard lk(mu_);
    e->running = false;
    e->exit_code = code;
    publish(*c, "exec_die", {{"execID", e->id}, {"exitCode", std::to_string(code)}});
  };

  // The exec's process: the container's own process spec with the exec's
  // args, env, cwd, user and terminal.
  auto process = [&]() -> Result<nlohmann::json> {
    auto text = TRY(read_file(bundle + "/config.json"));
    nlohmann::json spec;
    try {
      spec = nlohmann::json::parse(text);
    } catch (const std::exception& ex) {
      return fail(Errc::Internal, std::string("reading the container's config.json: ") + ex.what());
    }
    nlohmann::json p = spec.value("process", nlohmann::json::object());
    p["args"] = e->cfg.cmd;
    p["terminal"] = e->cfg.tty;
    p.erase("consoleSize");
    auto env = p.value("env", std::vector<std::string>{});
    for (const auto& kv : e->cfg.env) {
      std::erase_if(env, [&](const std::string& x) { return env_key(x) == env_key(kv); });
      env.push_back(kv);
    }
    p["env"] = env;
    if (!e->cfg.working_dir.empty()) p["cwd"] = e->cfg.working_dir;
    if (!e->cfg.user.empty()) {
      auto u = TRY(specgen::resolve_user(spec.value("root", nlohmann::json::object()).value("path", ""), e->cfg.user));
      p["user"] = {{"uid", u.uid}, {"gid", u.gid}, {"additionalGids", u.additional_gids}};
    }
    return p;
  }();
  if (!process) {
    finish(126, process.error().message);
    return {};
  }
  task::LaunchOptions opts;
  opts.shim_binary = cfg_.shim_path;
  opts.id = c->id;
  opts.runtime_root = runtime_root();
  opts.state_dir = cfg_.exec_root + "/exec/" + e->id;
  opts.tty = e->cfg.tty;
  opts.open_stdin = e->cfg.attach_stdin && !detach;
  opts.exec_process_json = process->dump();
  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  auto launched = task::launch_shim(opts);
  if (!launched) {
    int code = launched.error().code == Errc::NotFound ? 127 : 126;
    finish(code, "OCI runtime exec failed: " + launched.error().message);
    std::filesystem::remove_all(opts.state_dir, ec);
    return {};
  }
  {
    std::lock_guard lk(mu_);
    e->pid = launched->pid;
    e->shim_pid = launched->shim_pid;
    e->shim_conn = std::move(launched->conn);
    publish(*c, "exec_start: " + join(e->cfg.cmd, " "), {{"execID", e->id}});
  }
  int conn = e->shim_conn.get();
  auto serve = [this, e, c, conn, client = std::move(client), buffered = std::move(buffered),
                state_dir = opts.state_dir]() mutable {
    int cfd = client.get();
    bool stdin_open = cfd >= 0 && e->cfg.attach_stdin;
    auto keys = DetachKeys::parse(e->cfg.detach_keys);
    KeyMatcher matcher(keys ? *keys : DetachKeys{});
    auto forward = [&](std::string_view data) {
      auto [out, detached] = matcher.feed(data);
      std::lock_guard lk(mu_);
      if (!out.empty()) (void)shimproto::write_frame(conn, shimproto::Frame::Stdin, out);
      return detached;
    };
    if (stdin_open && !buffered.empty() && forward(buffered)) stdin_open = false;
    shimproto::FrameDecoder decoder;
    std::optional<int> code;
    std::vector<char> buf(64 * 1024);
    bool client_gone = cfd < 0;
    while (!code) {
      pollfd fds[2] = {{conn, POLLIN, 0}, {cfd, static_cast<short>(stdin_open ? POLLIN : 0), 0}};
      int n = ::poll(fds, client_gone ? 1 : 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      if (!client_gone && (fds[1].revents & POLLIN)) {
        ssize_t got = ::read(cfd, buf.data(), buf.size());
        if (got <= 0) {
          stdin_open = false;
          std::lock_guard lk(mu_);
          (void)shimproto::write_frame(conn, shimproto::Frame::CloseStdin, "");
        } else if (forward(std::string_view(buf.data(), got))) {
          stdin_open = false;
          client_gone = true;
          ::shutdown(cfd, SHUT_RDWR);
        }
      } else if (!client_gone && (fds[1].revents & (POLLHUP | POLLERR))) {
        client_gone = true;
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(conn, buf.data(), buf.size());
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      decoder.feed(std::string_view(buf.data(), got));
      for (;;) {
        auto f = decoder.next();
        if (!f || !*f) break;
        auto& [type, payload] = **f;
        if ((type == shimproto::Frame::Stdout && e->cfg.attach_stdout) ||
            (type == shimproto::Frame::Stderr && e->cfg.attach_stderr)) {
          if (!client_gone) send_all(cfd, e->cfg.tty ? payload : shimproto::encode_frame(type, payload));
        } else if (type == shimproto::Frame::Exited) {
          try {
            auto st = shimproto::ExitStatus::from_json(nlohmann::json::parse(payload));
            code = st ? st->exit_code : 255;
          } catch (const std::exception&) {
            code = 255;
          }
        }
      }
    }
    if (!code) {
      auto rec = task::read_exit_file(state_dir);
      code = rec && *rec ? (*rec)->exit_code : 255;
    }
    if (e->shim_pid > 0)
      while (::waitpid(e->shim_pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    std::error_code ec2;
    std::filesystem::remove_all(state_dir, ec2);
    {
      // The exit code is recorded before the client sees the end of the
      // stream: the CLI asks for it right after.
      std::lock_guard lk(mu_);
      e->running = false;
      e->exit_code = *code;
      e->shim_conn.reset();
      publish(*c, "exec_die", {{"execID", e->id}, {"exitCode", std::to_string(*code)}});
    }
    client.reset();
  };
  if (detach) {
    std::thread(std::move(serve)).detach();
  } else {
    serve();
  }
  return {};
}

Result<nlohmann::json> Engine::exec_inspect(const std::string& exec_id) {
  std::lock_guard lk(mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return fail(Errc::NotFound, "No such exec instance: " + exec_id);
  const auto& e = *it->second;
  std::vector<std::string> rest(e.cfg.cmd.begin() + (e.cfg.cmd.empty() ? 0 : 1), e.cfg.cmd.end());
  return nlohmann::json{
      {"ID", e.id},
      {"Running", e.running},
      {"ExitCode", e.exit_code ? nlohmann::json(*e.exit_code) : nlohmann::json(nullptr)},
      {"ProcessConfig",
       {{"tty", e.cfg.tty},
        {"entrypoint", e.cfg.cmd.empty() ? "" : e.cfg.cmd[0]},
        {"arguments", rest},
        {"privileged", e.cfg.privileged},
        {"user", e.cfg.user}}},
      {"OpenStdin", e.cfg.attach_stdin},
      {"OpenStderr", e.cfg.attach_stderr},
      {"OpenStdout", e.cfg.attach_stdout},
      {"CanRemove", false},
      {"ContainerID", e.container_id},
      {"DetachKeys", e.cfg.detach_keys},
      {"Pid", e.pid}};
}

Result<void> Engine::exec_resize(const std::string& exec_id, int h, int w) {
  std::lock_guard lk(mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return fail(Errc::NotFound, "No such exec instance: " + exec_id);
  if (!it->second->shim_conn) return fail(Errc::Conflict, "exec " + exec_id + " is not running");
  return shimproto::write_frame(it->second->shim_conn.get(), shimproto::Frame::Resize, nlohmann::json{{"h", h}, {"w", w}}.dump());
}

}  // namespace berth::engine
