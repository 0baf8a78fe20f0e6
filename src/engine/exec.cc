// docker exec: sessions kept in memory (as dockerd does), each run as a
// process of the container's task; the client's hijacked connection is
// served from the request's thread.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <thread>

#include "base/exit_status.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/container_service.h"
#include "engine/detach_keys.h"
#include "engine/exec_session.h"
#include "engine/names.h"
#include "engine/socket_io.h"

namespace berth::engine {

// Output of an exec to its client (when one is attached), and its end.
class ContainerService::ExecEvents : public task::ProcessListener {
 public:
  ExecEvents(ContainerService* service, std::shared_ptr<Exec> e, int client_fd)
      : service_(service), e_(std::move(e)), client_fd_(client_fd), done_(::eventfd(0, EFD_CLOEXEC)) {}

  void on_output(task::Stream stream, std::string_view bytes) override {
    const auto& spec = e_->info.spec;
    if (client_fd_ < 0 || !(stream == task::Stream::Stderr ? spec.attach_stderr : spec.attach_stdout)) return;
    send_all(client_fd_, spec.tty ? std::string(bytes) : mux_frame(stream, bytes));
  }

  void on_exit(const task::ExitStatus& status) override {
    // Recorded before the client sees the end of its stream: the CLI asks for it right after.
    service_->finish_exec(e_, status.exit_code);
    uint64_t one = 1;
    (void)!::write(done_.get(), &one, sizeof one);
  }

  int done_fd() const { return done_.get(); }

 private:
  ContainerService* service_;
  std::shared_ptr<Exec> e_;
  int client_fd_;
  UniqueFd done_;
};

void ContainerService::finish_exec(const std::shared_ptr<Exec>& e, int exit_code) {
  std::lock_guard lk(mu_);
  e->info.running = false;
  e->info.exit_code = exit_code;
  e->process.reset();
  if (auto it = containers_.find(e->info.container_id); it != containers_.end())
    publish(*it->second, "exec_die", {{"execID", e->info.id}, {"exitCode", std::to_string(exit_code)}});
}

Result<std::string> ContainerService::exec_create(const std::string& ref, const model::ExecSpec& spec) {
  if (spec.cmd.empty()) return fail(Errc::InvalidArgument, "No exec command specified");
  if (spec.privileged) return fail(Errc::Unsupported, "exec --privileged is not supported by berthd yet");
  TRY(DetachKeys::parse(spec.detach_keys));
  std::lock_guard lk(mu_);
  auto c = TRY(lookup(ref));
  if (!c->state.running) return fail(Errc::Conflict, "Container " + c->id + " is not running");
  if (c->state.paused)
    return fail(Errc::Conflict, "Container " + c->id + " is paused, unpause the container before exec");
  auto e = std::make_shared<Exec>();
  e->info.id = new_container_id();
  e->info.container_id = c->id;
  e->info.spec = spec;
  execs_[e->info.id] = e;
  publish(*c, "exec_create: " + join(spec.cmd, " "), {{"execID", e->info.id}});
  return e->info.id;
}

Result<void> ContainerService::exec_start(const std::string& exec_id, bool detach, std::optional<bool> tty_override,
                                          UniqueFd client, std::string buffered) {
  std::shared_ptr<Exec> e;
  std::shared_ptr<task::Task> t;
  pid_t init_pid;
  {
    std::lock_guard lk(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return fail(Errc::NotFound, "No such exec instance: " + exec_id);
    e = it->second;
    if (e->started) return fail(Errc::Conflict, "Error: Exec command " + exec_id + " has already run");
    auto c = TRY(lookup(e->info.container_id));
    if (!c->state.running || !c->task) return fail(Errc::Conflict, "Container " + c->id + " is not running");
    e->started = true;
    e->info.running = true;
    if (tty_override) e->info.spec.tty = *tty_override;
    t = c->task;
    init_pid = c->state.pid;
  }
  const model::ExecSpec& spec = e->info.spec;
  int client_fd = client.get();
  auto refuse = [&](const Error& err) {
    // As dockerd: the error goes to the client's stdout, framed unless a TTY.
    std::string message = "OCI runtime exec failed: " + err.message + "\r\n";
    if (client_fd >= 0) send_all(client_fd, spec.tty ? message : mux_frame(task::Stream::Stdout, message));
    finish_exec(e, exit_status_for(err));
  };

  task::ExecRequest req;
  req.exec_id = e->info.id;
  req.args = spec.cmd;
  req.env = spec.env;
  req.cwd = spec.working_dir;
  req.tty = spec.tty;
  req.open_stdin = spec.attach_stdin && !detach;
  if (!spec.user.empty()) {
    auto user = specgen::resolve_user("/proc/" + std::to_string(init_pid) + "/root", spec.user);
    if (!user) {
      refuse(user.error());
      return {};
    }
    req.user = task::ProcessUser{user->uid, user->gid, user->additional_gids};
  }
  auto events = std::make_shared<ExecEvents>(this, e, detach ? -1 : client_fd);
  auto process = t->exec(req, events);
  if (!process) {
    refuse(process.error());
    return {};
  }
  std::shared_ptr<task::Process> p = std::move(*process);
  {
    std::lock_guard lk(mu_);
    e->info.pid = p->pid();
    if (e->info.running) e->process = p;  // unless it already ended
    if (auto it = containers_.find(e->info.container_id); it != containers_.end())
      publish(*it->second, "exec_start: " + join(spec.cmd, " "), {{"execID", e->info.id}});
  }
  if (detach) return {};

  // The client's input until the process ends (its output comes through events).
  bool stdin_open = client_fd >= 0 && spec.attach_stdin;
  auto keys = DetachKeys::parse(spec.detach_keys);
  KeyMatcher matcher(keys ? *keys : DetachKeys{});
  auto forward = [&](std::string_view data) {
    if (!spec.tty) {  // as Docker: the detach keys are a terminal's; other input passes whole
      (void)p->write_stdin(data);
      return false;
    }
    auto [out, detached] = matcher.feed(data);
    if (!out.empty()) (void)p->write_stdin(out);
    return detached;
  };
  bool client_gone = client_fd < 0;
  if (stdin_open && !buffered.empty() && forward(buffered)) {
    stdin_open = false;
    client_gone = true;
  }
  std::vector<char> buf(64 * 1024);
  for (;;) {
    pollfd fds[2] = {{events->done_fd(), POLLIN, 0},
                     {client_gone ? -1 : client_fd, static_cast<short>(stdin_open ? POLLIN : POLLRDHUP), 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      client_gone = true;  // keep waiting for the end: output may still go to the client
      continue;
    }
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) {
      ssize_t got = ::read(client_fd, buf.data(), buf.size());
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        stdin_open = false;
        (void)p->close_stdin();
      } else if (forward(std::string_view(buf.data(), static_cast<size_t>(got)))) {
        stdin_open = false;
        client_gone = true;
        ::shutdown(client_fd, SHUT_RDWR);
      }
    } else if (fds[1].revents & (POLLHUP | POLLERR | POLLRDHUP)) {
      client_gone = true;  // the process goes on without its client
    }
  }
  return {};
}

Result<model::ExecInfo> ContainerService::exec_inspect(const std::string& exec_id) {
  std::lock_guard lk(mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return fail(Errc::NotFound, "No such exec instance: " + exec_id);
  return it->second->info;
}

Result<void> ContainerService::exec_resize(const std::string& exec_id, unsigned rows, unsigned cols) {
  std::shared_ptr<task::Process> p;
  {
    std::lock_guard lk(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return fail(Errc::NotFound, "No such exec instance: " + exec_id);
    p = it->second->process;
    if (!p) return fail(Errc::Conflict, "exec " + exec_id + " is not running");
  }
  return p->resize(rows, cols);
}

}  // namespace berth::engine
