// Stopping, killing, pausing, restarting and waiting for containers; restart
// policies.
#include <signal.h>

#include <chrono>
#include <thread>

#include "base/log.h"
#include "engine/engine.h"
#include "runtime/container.h"
#include "specgen/specgen.h"

namespace berth::engine {
namespace {

runtime::RuntimeContext ctx_for(const std::string& root) {
  runtime::RuntimeContext ctx;
  ctx.root = root;
  return ctx;
}

Error not_running(const Container& c) {
  return Error{Errc::Conflict, 0, "Container " + c.id + " is not running"};
}

}  // namespace

// Waits (mu_ not held) until the run that is current now has ended; false on timeout.
Result<bool> Engine::wait_stopped(const std::shared_ptr<Container>& c, int timeout_s) {
  std::unique_lock lk(mu_);
  auto done = [&] { return !c->state.running || c->removed; };
  if (timeout_s < 0) {
    c->changed->wait(lk, done);
    return true;
  }
  return c->changed->wait_for(lk, std::chrono::seconds(timeout_s), done);
}

Result<void> Engine::stop_locked(const std::shared_ptr<Container>& c, int timeout, int signal) {
  auto ctx = ctx_for(runtime_root());
  bool paused;
  {
    std::lock_guard lk(mu_);
    if (!c->state.running) return {};
    paused = c->state.paused;
  }
  // A frozen process cannot handle its stop signal: thaw it first (as Docker).
  if (paused && signal != SIGKILL) (void)runtime::resume_container(ctx, c->id);
  if (auto r = runtime::kill_container(ctx, c->id, signal, false); !r)
    log::debug("signalling {}: {}", c->id, r.error().str());
  if (timeout != 0 && TRY(wait_stopped(c, timeout))) return {};
  if (auto r = runtime::kill_container(ctx, c->id, SIGKILL, false); !r)
    log::debug("killing {}: {}", c->id, r.error().str());
  if (!TRY(wait_stopped(c, 30)))
    return fail(Errc::Internal, "container " + c->id + " did not stop within 30 s of SIGKILL");
  return {};
}

Result<bool> Engine::stop(const std::string& ref, std::optional<int> timeout, std::optional<std::string> signal) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  int sig = SIGTERM, t = 10;
  {
    std::lock_guard lk(mu_);
    if (!c->state.running) return false;
    if (signal && !signal->empty()) {
      sig = TRY(specgen::parse_stop_signal(*signal));
    } else if (auto s = c->config.value("StopSignal", ""); !s.empty()) {
      sig = TRY(specgen::parse_stop_signal(s));
    }
    if (timeout) t = *timeout;
    else if (c->config.contains("StopTimeout") && c->config["StopTimeout"].is_number_integer())
      t = c->config["StopTimeout"].get<int>();
    c->manually_stopped = true;
    (void)persist(*c);
  }
  TRYV(stop_locked(c, t, sig));
  return true;
}

Result<void> Engine::restart(const std::string& ref, std::optional<int> timeout) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  int sig = SIGTERM, t = timeout.value_or(10);
  bool running;
  {
    std::lock_guard lk(mu_);
    running = c->state.running;
    if (auto s = c->config.value("StopSignal", ""); !s.empty()) sig = TRY(specgen::parse_stop_signal(s));
    c->manually_stopped = true;  // no policy restart in between
  }
  if (running) TRYV(stop_locked(c, t, sig));
  TRYV(start_locked(c));
  {
    std::lock_guard lk(mu_);
    publish(*c, "restart");
  }
  return {};
}

Result<void> Engine::kill(const std::string& ref, const std::string& signal) {
  auto c = TRY(find(ref));
  int sig = signal.empty() ? SIGKILL : TRY(specgen::parse_stop_signal(signal));
  {
    std::lock_guard lk(mu_);
    if (!c->state.running) return std::unexpected(not_running(*c));
    if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT) {
      c->manually_stopped = true;
      (void)persist(*c);
    }
  }
  TRYV(runtime::kill_container(ctx_for(runtime_root()), c->id, sig, false));
  std::lock_guard lk(mu_);
  publish(*c, "kill", {{"signal", std::to_string(sig)}});
  return {};
}

Result<void> Engine::pause(const std::string& ref) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  {
    std::lock_guard lk(mu_);
    if (!c->state.running) return std::unexpected(not_running(*c));
    if (c->state.paused) return fail(Errc::Conflict, "Container " + c->id + " is already paused");
  }
  TRYV(runtime::pause_container(ctx_for(runtime_root()), c->id));
  std::lock_guard lk(mu_);
  c->state.paused = true;
  (void)persist(*c);
  publish(*c, "pause");
  return {};
}

Result<void> Engine::unpause(const std::string& ref) {
  auto c = TRY(find(ref));
  std::lock_guard op(c->op_mu);
  {
    std::lock_guard lk(mu_);
    if (!c->state.running || !c->state.paused)
      return fail(Errc::Conflict, "Container " + c->id + " is not paused");
  }
  TRYV(runtime::resume_container(ctx_for(runtime_root()), c->id));
  std::lock_guard lk(mu_);
  c->state.paused = false;
  (void)persist(*c);
  publish(*c, "unpause");
  return {};
}

Result<WaitResult> Engine::wait(const std::string& ref, const std::string& condition,
                                const std::function<void()>& on_ready) {
  auto c = TRY(find(ref));
  std::string cond = condition.empty() ? "not-running" : condition;
  if (cond != "not-running" && cond != "next-exit" && cond != "removed")
    return fail(Errc::InvalidArgument, "invalid condition: \"" + cond + "\"");
  std::unique_lock lk(mu_);
  uint64_t gen = c->exit_generation;
  lk.unlock();
  if (on_ready) on_ready();
  lk.lock();
  if (cond == "not-running") {
    c->changed->wait(lk, [&] { return !c->state.running || c->removed; });
  } else if (cond == "next-exit") {
    c->changed->wait(lk, [&] { return c->exit_generation != gen || c->removed; });
  } else {
    c->changed->wait(lk, [&] { return c->removed; });
  }
  WaitResult r;
  r.status_code = c->state.exit_code;
  return r;
}

void Engine::maybe_restart(const std::shared_ptr<Container>& c) {
  int delay_ms;
  {
    std::lock_guard lk(mu_);
    if (c->removed || c->manually_stopped || shutting_down_) return;
    auto policy = c->host_config.value("RestartPolicy", nlohmann::json::object());
    std::string name = policy.is_object() ? policy.value("Name", "") : "";
    int max = policy.is_object() ? policy.value("MaximumRetryCount", 0) : 0;
    bool again = name == "always" || name == "unless-stopped" ||
                 (name == "on-failure" && c->state.exit_code != 0 && (max == 0 || c->restart_count < max));
    if (!again) return;
    // Docker's back-off: 100 ms doubling, at most a minute.
    delay_ms = 100 << std::min(c->restart_count, 9);
    delay_ms = std::min(delay_ms, 60000);
    c->state.restarting = true;
    (void)persist(*c);
  }
  std::thread([this, c, delay_ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
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
