#include "compose_ops/waiter.h"

#include <map>

#include <fmt/format.h>

namespace berth::compose_ops {

Verdict judge(Condition condition, const WaitTarget& t, const ContainerState& s, std::string* why) {
  bool exited = s.status == "exited" || s.status == "dead";
  switch (condition) {
    case Condition::Completed:
      if (!exited) return Verdict::Pending;
      if (s.exit_code == 0) return Verdict::Met;
      *why = fmt::format("service \"{}\" didn't complete successfully: exit {}", t.service, s.exit_code);
      return Verdict::Failed;
    case Condition::Healthy:
      if (s.health == "healthy") return Verdict::Met;
      if (s.health == "unhealthy") {
        *why = fmt::format("dependency failed to start: container {} is unhealthy", t.name);
        return Verdict::Failed;
      }
      if (exited) {
        *why = fmt::format("dependency failed to start: container {} exited ({})", t.name, s.exit_code);
        return Verdict::Failed;
      }
      if (s.health.empty() && s.status == "running") {
        *why = fmt::format("container {} has no healthcheck configured", t.name);
        return Verdict::Failed;
      }
      return Verdict::Pending;
    case Condition::RunningOrHealthy:
      if (exited) {
        *why = fmt::format("container {} exited ({})", t.name, s.exit_code);
        return Verdict::Failed;
      }
      if (s.health == "unhealthy") {
        *why = fmt::format("container {} is unhealthy", t.name);
        return Verdict::Failed;
      }
      if (s.status == "running" && (s.health.empty() || s.health == "healthy")) return Verdict::Met;
      return Verdict::Pending;
  }
  return Verdict::Pending;
}

void apply_event(const Event& e, ContainerState& s) {
  if (e.action == "start") {
    s.status = "running";
    s.exit_code = 0;
    if (!s.health.empty()) s.health = "starting";
  } else if (e.action == "die") {
    s.status = "exited";
    auto it = e.attributes.find("exitCode");
    s.exit_code = it == e.attributes.end() ? 0 : std::atoi(it->second.c_str());
  } else if (e.action.starts_with("health_status")) {
    // Docker's action is "health_status: healthy"; take the word after the colon.
    auto colon = e.action.find(':');
    std::string status = colon == std::string::npos ? "" : e.action.substr(colon + 1);
    while (!status.empty() && status.front() == ' ') status.erase(0, 1);
    if (!status.empty()) s.health = status;
  }
}

Result<void> wait_for(Engine& engine, const std::string& project, Condition condition,
                      const std::vector<WaitTarget>& targets) {
  if (targets.empty()) return {};
  int64_t since = engine.now_ns();
  std::map<std::string, std::pair<const WaitTarget*, ContainerState>> pending;
  for (const auto& t : targets) {
    ContainerState s = TRY(engine.inspect_state(t.id));
    std::string why;
    Verdict v = judge(condition, t, s, &why);
    if (v == Verdict::Failed) return fail(Errc::Conflict, why);
    if (v == Verdict::Pending) pending[t.id] = {&t, s};
  }
  if (pending.empty()) return {};
  std::optional<Error> failure;
  TRYV(engine.watch_events(project, since, [&](const Event& e) {
    auto it = pending.find(e.id);
    if (it == pending.end()) return true;
    apply_event(e, it->second.second);
    std::string why;
    Verdict v = judge(condition, *it->second.first, it->second.second, &why);
    if (v == Verdict::Failed) {
      failure = Error{Errc::Conflict, 0, why};
      return false;
    }
    if (v == Verdict::Met) pending.erase(it);
    return !pending.empty();
  }));
  if (failure) return std::unexpected(*failure);
  if (!pending.empty()) return fail(Errc::Unavailable, "the daemon's event stream ended while waiting for containers");
  return {};
}

}  // namespace berth::compose_ops
