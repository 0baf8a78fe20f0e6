#include "engine/health/rules.h"

#include "build/history_text.h"

namespace berth::engine::health {
namespace {

int64_t or_default(int64_t v, int64_t d) { return v == 0 ? d : v; }

}  // namespace

std::optional<Settings> settings_of(const model::ContainerConfig& config) {
  if (!config.healthcheck || config.healthcheck->test.empty()) return std::nullopt;
  const auto& h = *config.healthcheck;
  Settings s;
  const std::string& kind = h.test.front();
  if (kind == "CMD") {
    s.argv.assign(h.test.begin() + 1, h.test.end());
  } else if (kind == "CMD-SHELL") {
    s.argv = config.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : config.shell;
    s.argv.insert(s.argv.end(), h.test.begin() + 1, h.test.end());
  } else {
    return std::nullopt;  // "NONE", or unknown
  }
  if (s.argv.empty()) return std::nullopt;
  s.interval_ns = or_default(h.interval_ns, kDefaultInterval);
  s.timeout_ns = or_default(h.timeout_ns, kDefaultTimeout);
  s.start_period_ns = or_default(h.start_period_ns, kDefaultStartPeriod);
  s.start_interval_ns = or_default(h.start_interval_ns, kDefaultStartInterval);
  s.retries = h.retries <= 0 ? kDefaultRetries : h.retries;
  return s;
}

int64_t next_delay_ns(const Settings& s, int64_t since_start_ns, model::HealthStatus status) {
  if (since_start_ns >= s.start_period_ns) return s.interval_ns;
  return status == model::HealthStatus::Starting ? s.start_interval_ns : s.interval_ns;
}

bool record_result(model::Health& h, model::HealthResult result, const Settings& s, int64_t probe_since_start_ns) {
  auto old = h.status;
  h.log.push_back(std::move(result));
  if (h.log.size() > kMaxLog) h.log.erase(h.log.begin(), h.log.end() - kMaxLog);
  if (h.log.back().exit_code == 0) {
    h.failing_streak = 0;
    h.status = model::HealthStatus::Healthy;
  } else if (!(h.status == model::HealthStatus::Starting && probe_since_start_ns < s.start_period_ns)) {
    if (++h.failing_streak >= s.retries) h.status = model::HealthStatus::Unhealthy;
  }
  return h.status != old;
}

void LimitedOutput::append(std::string_view bytes) {
  size_t room = kMaxOutput - buf_.size();
  if (bytes.size() > room) truncated_ = true;
  buf_.append(bytes.substr(0, room));
}

std::string timeout_output(int64_t timeout_ns, const std::string& output) {
  std::string msg = "Health check exceeded timeout (" + build::go_duration(timeout_ns) + ")";
  if (!output.empty()) msg += ": " + output;
  return msg;
}

std::string filter_value(const std::optional<model::Health>& h) {
  return h ? std::string(model::to_string(h->status)) : "none";
}

bool valid_filter_value(const std::string& v) {
  model::HealthStatus ignored;
  return v == "none" || model::parse_health_status(v, ignored);
}

bool restart_when_unhealthy(const model::RestartPolicy& policy, const model::StringMap& labels, int restart_count) {
  if (policy.name == model::RestartPolicyName::OnUnhealthy)
    return policy.max_retries == 0 || restart_count < policy.max_retries;
  auto it = labels.find(kRestartLabel);
  return it != labels.end() && it->second == "true";
}

Result<void> validate(const model::Healthcheck& h) {
  auto below = [](int64_t v) { return v != 0 && v < kMillisecond; };
  if (below(h.interval_ns)) return fail(Errc::InvalidArgument, "Interval in Healthcheck cannot be less than 1ms");
  if (below(h.timeout_ns)) return fail(Errc::InvalidArgument, "Timeout in Healthcheck cannot be less than 1ms");
  if (h.retries < 0) return fail(Errc::InvalidArgument, "Retries in Healthcheck cannot be negative");
  if (below(h.start_period_ns))
    return fail(Errc::InvalidArgument, "StartPeriod in Healthcheck cannot be less than 1ms");
  if (below(h.start_interval_ns))
    return fail(Errc::InvalidArgument, "StartInterval in Healthcheck cannot be less than 1ms");
  return {};
}

}  // namespace berth::engine::health
