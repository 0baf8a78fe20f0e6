// Healthchecks of running containers: State.Health reset at every start,
// the monitor (engine/health/monitor.h) told when a run begins, pauses or
// ends, and its results recorded, announced and acted on (berth's
// on-unhealthy restart).
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <thread>

#include "base/go_time.h"
#include "base/log.h"
#include "engine/container_service.h"
#include "engine/health/rules.h"

namespace berth::engine {

void ContainerService::watch_health(const std::shared_ptr<Container>& c, bool restored) {
  std::string id, run;
  model::Health h;
  int64_t since_start = 0;
  bool paused;
  std::optional<health::Settings> settings;
  {
    std::lock_guard lk(mu_);
    settings = health::settings_of(c->spec.config);
    if (!settings || !c->state.running) return;
    id = c->id;
    run = c->state.started_at;
    h = c->state.health.value_or(model::Health{});
    paused = c->state.paused;
    if (restored) {
      auto started = go::parse_rfc3339(c->state.started_at);
      timespec now{};
      ::clock_gettime(CLOCK_REALTIME, &now);
      if (started)
        since_start = std::max<int64_t>(0, (now.tv_sec - started->sec) * health::kSecond + (now.tv_nsec - started->nsec));
    }
  }
  health_->watch(id, run, *settings, h, since_start);
  if (paused) health_->pause(id);
}

void ContainerService::on_health(const std::string& id, const std::string& run, const model::Health& h, bool changed) {
  std::shared_ptr<Container> restart;
  {
    std::lock_guard lk(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    auto& c = it->second;
    // A result of an earlier run, or one that came in as the container paused or stopped.
    if (c->removed || !c->state.running || c->state.paused || c->state.started_at != run) return;
    c->state.health = h;
    (void)persist(*c);
    if (changed) publish(*c, "health_status: " + std::string(model::to_string(h.status)));
    if (changed && h.status == model::HealthStatus::Unhealthy && !shutting_down_ &&
        health::restart_when_unhealthy(c->spec.host.restart_policy, c->spec.config.labels, c->restart_count))
      restart = c;
  }
  if (restart) restart_unhealthy(restart, run);
}

// Stop (the container's stop signal and timeout) and start again, on a
// thread of its own as policy restarts are: the stop may take its timeout.
void ContainerService::restart_unhealthy(const std::shared_ptr<Container>& c, const std::string& run) {
  std::thread([this, c, run] {
    std::lock_guard op(c->op_mu);
    int sig = SIGTERM, timeout_s = 10;
    {
      std::lock_guard lk(mu_);
      if (c->removed || !c->state.running || c->state.started_at != run || shutting_down_) return;
      if (!c->spec.config.stop_signal.empty())
        sig = specgen::parse_stop_signal(c->spec.config.stop_signal).value_or(SIGTERM);
      timeout_s = c->spec.config.stop_timeout.value_or(10);
      c->manually_stopped = true;  // no policy restart of this exit: the start below is it
      ++c->restart_count;
      (void)persist(*c);
    }
    log::warn("container {} is unhealthy: restarting it (on-unhealthy)", c->id);
    if (auto r = stop_locked(c, timeout_s, sig); !r) {
      log::warn("restarting unhealthy container {}: {}", c->id, r.error().str());
      return;
    }
    {
      std::lock_guard lk(mu_);
      if (c->removed || shutting_down_) return;
    }
    auto r = start_locked(c);
    if (!r) log::warn("restarting unhealthy container {}: {}", c->id, r.error().str());
    std::lock_guard lk(mu_);
    if (r) publish(*c, "restart", {{"reason", "unhealthy"}});
  }).detach();
}

}  // namespace berth::engine
