// Stopping, killing, pausing and restarting containers through their tasks;
// restart policies.
#include <signal.h>

#include <chrono>
#include <thread>

#include "base/log.h"
#include "engine/container_service.h"

namespace berth::engine {

// Waits (mu_ not held) until the run that is current now has ended; false on timeout.
Result<bool> ContainerService::wait_stopped(const std::shared_ptr<Container>& c, int timeout_s) {
  std::unique_lock lk(mu_);
  auto done = [&] { return !c->state.running || c->removed; };
  if (timeout_s < 0) {
    c->changed->wait(lk, done);
    return true;
  }
  return c->changed->wait_for(lk, std::chrono::seconds(timeout_s), done);
}

Result<void> ContainerService::stop_locked(const std::shared_ptr<Container>& c, int timeout_s, int signal) {
  health_->unwatch(c->id);  // as dockerd: no probe while the container stops
  std::shared_ptr<task::Task> t;
  bool paused;
  {
    std::lock_guard lk(mu_);
    if (!c->state.running || !c->task) return {};
    t = c->task;
    paused = c->state.paused;
  }
  // A frozen process cannot handle its stop signal: thaw it first (as Docker).
  if (paused && signal != SIGKILL) (void)t->resume();
  // As dockerd: each signal sent is a "kill" event (watchers tell a stop's
  // SIGTERM from its SIGKILL by the signal attribute).
  if (auto r = t->kill(signal); !r) {
    log::debug("signalling {}: {}", c->id, r.error().str());
  } else {
    std::lock_guard lk(mu_);
    publish(*c, "kill", {{"signal", std::to_string(signal)}});
  }
  if (timeout_s != 0 && TRY(wait_stopped(c, timeout_s))) return {};
  {
    std::lock_guard lk(mu_);
    if (!c->state.running || !c->task) return {};
    t = c->task;
  }
  if (auto r = t->kill_all(SIGKILL); !r) {
    log::debug("killing {}: {}", c->id, r.error().str());
  } else if (signal != SIGKILL) {
    std::lock_guard lk(mu_);
    publish(*c, "kill", {{"signal", std::to_string(SIGKILL)}});
  }
  if (!TRY(wait_stopped(c, 30)))
    return fail(Errc::Internal, "container " + c->id + " did not stop within 30 s of SIGKILL");
  return {};
}

Result<bool> ContainerService::stop(const std::string& ref, std::optional<int> timeout_s, const std::string& signal) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  int sig = SIGTERM, t = 10;
  {
    std::lock_guard lk(mu_);
    if (!c->state.running) return false;
    if (!signal.empty()) sig = TRY(specgen::parse_stop_signal(signal));
    else if (!c->spec.config.stop_signal.empty()) sig = TRY(specgen::parse_stop_signal(c->spec.config.stop_signal));
    t = timeout_s.value_or(c->spec.config.stop_timeout.value_or(10));
    c->manually_stopped = true;
    (void)persist(*c);
  }
  TRYV(stop_locked(c, t, sig));
  std::lock_guard lk(mu_);
  publish(*c, "stop");  // after its die, as dockerd
  return true;
}

Result<void> ContainerService::restart(const std::string& ref, std::optional<int> timeout_s) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  int sig = SIGTERM, t;
  bool running;
  {
    std::lock_guard lk(mu_);
    running = c->state.running;
    if (!c->spec.config.stop_signal.empty()) sig = TRY(specgen::parse_stop_signal(c->spec.config.stop_signal));
    t = timeout_s.value_or(c->spec.config.stop_timeout.value_or(10));
    c->manually_stopped = true;  // no policy restart in between
  }
  if (running) {
    TRYV(stop_locked(c, t, sig));
    std::lock_guard lk(mu_);
    publish(*c, "stop");
  }
  TRYV(start_locked(c));
  std::lock_guard lk(mu_);
  publish(*c, "restart");
  return {};
}

Result<void> ContainerService::kill(const std::string& ref, const std::string& signal) {
  auto c = TRY(find(ref));
  int sig = signal.empty() ? SIGKILL : TRY(specgen::parse_stop_signal(signal));
  auto t = TRY(running_task(c));
  if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT) {
    std::lock_guard lk(mu_);
    c->manually_stopped = true;
    (void)persist(*c);
  }
  TRYV(t->kill(sig));
  std::lock_guard lk(mu_);
  publish(*c, "kill", {{"signal", std::to_string(sig)}});
  return {};
}

Result<void> ContainerService::pause(const std::string& ref) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  auto t = TRY(running_task(c));
  {
    std::lock_guard lk(mu_);
    if (c->state.paused) return fail(Errc::Conflict, "Container " + c->id + " is already paused");
  }
  TRYV(t->pause());
  health_->pause(c->id);  // a paused container is not probed (as Docker)
  std::lock_guard lk(mu_);
  c->state.paused = true;
  (void)persist(*c);
  publish(*c, "pause");
  return {};
}

Result<void> ContainerService::unpause(const std::string& ref) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  std::shared_ptr<task::Task> t;
  {
    std::lock_guard lk(mu_);
    if (!c->state.running || !c->state.paused || !c->task)
      return fail(Errc::Conflict, "Container " + c->id + " is not paused");
    t = c->task;
  }
  TRYV(t->resume());
  health_->resume(c->id);
  std::lock_guard lk(mu_);
  c->state.paused = false;
  (void)persist(*c);
  publish(*c, "unpause");
  return {};
}

void ContainerService::maybe_restart(const std::shared_ptr<Container>& c) {
  int delay_ms;
  {
    std::lock_guard lk(mu_);
    if (c->removed || c->manually_stopped || shutting_down_) return;
    const auto& policy = c->spec.host.restart_policy;
    using P = model::RestartPolicyName;
    bool again = policy.name == P::Always || policy.name == P::UnlessStopped ||
                 (policy.name == P::OnFailure && c->state.exit_code != 0 &&
                  (policy.max_retries == 0 || c->restart_count < policy.max_retries));
    if (!again) return;
    // Docker's back-off: 100 ms doubling, at most a minute.
    delay_ms = std::min(100 << std::min(c->restart_count, 9), 60000);
    c->state.restarting = true;
    (void)persist(*c);
  }
  std::thread([this, c, delay_ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));  // the policy's back-off, not ordering
    std::lock_guard op(c->op_mu);
    {
      std::lock_guard lk(mu_);
      c->state.restarting = false;
      if (c->removed || c->manually_stopped || c->state.running || shutting_down_) {
        (void)persist(*c);
        return;
      }
      ++c->restart_count;
    }
    auto r = start_locked(c);
    if (!r) log::warn("restarting {}: {}", c->id, r.error().str());
    std::lock_guard lk(mu_);
    if (r) publish(*c, "restart");
  }).detach();
}

}  // namespace berth::engine
