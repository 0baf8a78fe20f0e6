// Live restore: after a restart (or a crash) berthd follows the tasks that
// kept their containers running, and records the exits that happened while
// it was away.
#include <sys/eventfd.h>

#include "base/clock.h"
#include "base/log.h"
#include "engine/container_service.h"
#include "engine/task_events.h"
#include "volume/service.h"

namespace berth::engine {

Result<void> ContainerService::restore() {
  std::vector<std::shared_ptr<Container>> all;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_) all.push_back(c);
  }
  for (auto& c : all) {
    bool was_running;
    std::string runtime_name;
    {
      std::lock_guard lk(mu_);
      was_running = c->state.running;
      runtime_name = c->runtime;
      c->state.restarting = false;
      c->state.removing = false;
    }
    auto runtime = runtime_for(runtime_name);
    if (!runtime) {
      log::error("container {}: {}", c->id, runtime.error().str());
      continue;
    }
    // A task can exist for a container recorded as not running: berthd
    // died between starting it and recording the start.
    if (!was_running && (*runtime)->exists(c->id)) {
      std::lock_guard lk(mu_);
      c->state.running = true;
      c->ever_started = true;
      was_running = true;
    }
    if (was_running) {
      auto events = std::make_shared<TaskEvents>(this, c);
      auto found = (*runtime)->reattach(c->id, events);
      if (found && found->task) {
        std::vector<std::string> mounted;
        for (const auto& p : c->mounts)
          if (p.type == model::MountType::Volume && deps_.volumes->mount(p.source, c->id)) mounted.push_back(p.source);
        Attachment held;
        std::vector<NetworkRequest> networks;
        {
          std::lock_guard lk(mu_);
          c->task = std::move(found->task);
          c->state.pid = c->task->pid();
          c->exit_event = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
          c->mounted_volumes = std::move(mounted);
          held.endpoints = c->endpoints;
          held.published = c->published;
          networks = c->networks;
        }
        // Ports stay reserved and names resolvable: their sockets died with the old daemon.
        if (!held.endpoints.empty()) deps_.networks->restore(c->id, networks, held, sandbox_path(c->id));
        log::info("restored container {} (pid {})", c->id, c->state.pid);
        watch_health(c, true);  // its persisted health, the next probe an interval on
        events->arm();
        continue;
      }
      task::ExitStatus status{255, false, rfc3339_now()};
      if (found && found->exited) {
        status = *found->exited;
      } else {
        if (!found) log::warn("container {}: {}", c->id, found.error().str());
        std::lock_guard lk(mu_);
        c->state.error = "the container's monitor is gone and left no exit status";
      }
      (*runtime)->cleanup(c->id);
      on_exit(c, status);
      continue;
    }
    // Not running: restart policies that start with the daemon.
    model::RestartPolicyName policy;
    bool manual, ever_started;
    {
      std::lock_guard lk(mu_);
      (void)persist(*c);
      policy = c->spec.host.restart_policy.name;
      manual = c->manually_stopped;
      ever_started = c->ever_started;
    }
    using P = model::RestartPolicyName;
    if (ever_started && (policy == P::Always || (policy == P::UnlessStopped && !manual))) {
      std::lock_guard op(c->op_mu);
      if (auto r = start_locked(c); !r)
        log::warn("starting {} (restart policy {}): {}", c->id, model::to_string(policy), r.error().str());
    }
  }
  std::set<std::string> running;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_)
      if (c->state.running) running.insert(id);
  }
  deps_.networks->cleanup_stale(running);
  return {};
}

}  // namespace berth::engine
