// A healthcheck probe as Docker runs one: an exec in the container (the same
// sessions, Task::exec and exec_create/exec_start/exec_die events as
// `docker exec`), as the container's user in its working directory, its
// stdout and stderr kept to the first 4096 bytes, its session dropped once
// it ended (a probe every second would otherwise pile them up).
#include <signal.h>

#include "base/exit_status.h"
#include "base/strings.h"
#include "engine/container_service.h"
#include "engine/exec_session.h"
#include "engine/names.h"

namespace berth::engine {
namespace {

// Docker's action text: Entrypoint + " " + the arguments joined.
std::string probe_action(const std::vector<std::string>& argv) {
  return argv.front() + " " + join(std::vector<std::string>(argv.begin() + 1, argv.end()), " ");
}

class ProbeProcess final : public health::ProbeHandle {
 public:
  explicit ProbeProcess(std::shared_ptr<task::Process> p) : p_(std::move(p)) {}
  void kill() override { (void)p_->kill(SIGKILL); }

 private:
  std::shared_ptr<task::Process> p_;
};

}  // namespace

class ContainerService::ProbeEvents final : public task::ProcessListener {
 public:
  ProbeEvents(ContainerService* service, std::shared_ptr<Exec> e, health::ProbeDone done)
      : service_(service), e_(std::move(e)), done_(std::move(done)) {}

  void on_output(task::Stream, std::string_view bytes) override {
    std::lock_guard lk(mu_);
    output_.append(bytes);
  }

  void on_exit(const task::ExitStatus& status) override { end(status.exit_code); }

  void end(int exit_code) {
    service_->finish_exec(e_, exit_code);
    {
      std::lock_guard lk(service_->mu_);
      service_->execs_.erase(e_->info.id);
    }
    if (service_->shutting_down_) return;
    std::string out;
    {
      std::lock_guard lk(mu_);
      out = output_.str();
    }
    done_(exit_code, std::move(out));
  }

 private:
  ContainerService* service_;
  std::shared_ptr<Exec> e_;
  health::ProbeDone done_;
  std::mutex mu_;
  health::LimitedOutput output_;
};

Result<std::shared_ptr<health::ProbeHandle>> ContainerService::start_probe(const std::string& id,
                                                                           const std::vector<std::string>& argv,
                                                                           health::ProbeDone done) {
  if (argv.empty()) return fail(Errc::InvalidArgument, "No exec command specified");
  auto e = std::make_shared<Exec>();
  std::shared_ptr<task::Task> t;
  {
    std::lock_guard lk(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end() || it->second->removed) return fail(Errc::NotFound, "No such container: " + id);
    auto& c = it->second;
    if (!c->state.running || !c->task) return fail(Errc::Conflict, "Container " + c->id + " is not running");
    if (c->state.paused)
      return fail(Errc::Conflict, "Container " + c->id + " is paused, unpause the container before exec");
    e->info.id = new_container_id();
    e->info.container_id = c->id;
    e->info.spec.cmd = argv;
    e->info.spec.attach_stdout = e->info.spec.attach_stderr = true;
    e->info.spec.user = c->spec.config.user;
    e->info.spec.working_dir = c->spec.config.working_dir;
    e->started = true;
    e->info.running = true;
    execs_[e->info.id] = e;
    publish(*c, "exec_create: " + probe_action(argv), {{"execID", e->info.id}});
    // Before the process runs, as dockerd: a quick probe's exec_die comes after it.
    publish(*c, "exec_start: " + probe_action(argv), {{"execID", e->info.id}});
    t = c->task;
  }
  task::ExecRequest req;
  req.exec_id = e->info.id;
  req.args = argv;  // user and working directory: the container's (Config.User, Config.WorkingDir)
  auto events = std::make_shared<ProbeEvents>(this, e, std::move(done));
  auto process = t->exec(req, events);
  if (!process) {
    finish_exec(e, exit_status_for(process.error()));
    std::lock_guard lk(mu_);
    execs_.erase(e->info.id);
    return std::unexpected(process.error());
  }
  std::shared_ptr<task::Process> p = std::move(*process);
  {
    std::lock_guard lk(mu_);
    e->info.pid = p->pid();
    if (e->info.running) e->process = p;
  }
  return std::make_shared<ProbeProcess>(std::move(p));
}

}  // namespace berth::engine
