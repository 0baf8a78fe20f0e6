// Docker's healthcheck rules, without clocks or threads (moby daemon/health.go
// is the reference): the effective settings of a container's healthcheck,
// when the next probe is due, how a probe's result changes the health, the
// output kept, and what the API refuses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "model/container_spec.h"
#include "model/health.h"

namespace berth::engine::health {

inline constexpr int64_t kMillisecond = 1'000'000;
inline constexpr int64_t kSecond = 1'000'000'000;
inline constexpr int64_t kDefaultInterval = 30 * kSecond;
inline constexpr int64_t kDefaultTimeout = 30 * kSecond;
inline constexpr int64_t kDefaultStartPeriod = 0;
inline constexpr int64_t kDefaultStartInterval = 5 * kSecond;
inline constexpr int kDefaultRetries = 3;
inline constexpr size_t kMaxOutput = 4096;  // maxOutputLen
inline constexpr size_t kMaxLog = 5;        // maxLogEntries

// A healthcheck with Docker's defaults filled in, and the probe's command.
struct Settings {
  std::vector<std::string> argv;  // CMD: as given; CMD-SHELL: the shell, then the command
  int64_t interval_ns = kDefaultInterval, timeout_ns = kDefaultTimeout;
  int64_t start_period_ns = kDefaultStartPeriod, start_interval_ns = kDefaultStartInterval;
  int retries = kDefaultRetries;
  bool operator==(const Settings&) const = default;
};

// nullopt when the container has no probe: no healthcheck, an empty Test,
// ["NONE"], or a type Docker does not know (it logs and runs nothing).
// CMD-SHELL runs in Config.Shell, else /bin/sh -c.
std::optional<Settings> settings_of(const model::ContainerConfig& config);

// Delay before the next probe, counted from the end of the last one (or the
// start of monitoring): the start interval while the container is in its
// start period and still starting, the interval otherwise.
int64_t next_delay_ns(const Settings& s, int64_t since_start_ns, model::HealthStatus status);

// Records one probe's result (keeping the last kMaxLog) and updates status
// and streak as Docker does: a success resets the streak and makes the
// container healthy; a failure counts unless the container is still
// starting within its start period (probe_since_start_ns: from the
// container's start to the probe's start); `retries` counted failures make
// it unhealthy. True when the status changed.
bool record_result(model::Health& h, model::HealthResult result, const Settings& s, int64_t probe_since_start_ns);

// The first kMaxOutput bytes of a probe's stdout and stderr, "..." appended
// when there was more (limitedBuffer).
class LimitedOutput {
 public:
  void append(std::string_view bytes);
  std::string str() const { return truncated_ ? buf_ + "..." : buf_; }

 private:
  std::string buf_;
  bool truncated_ = false;
};

// "Health check exceeded timeout (1s)", with ": <output>" when it printed.
std::string timeout_output(int64_t timeout_ns, const std::string& output);

// The `health` filter of GET /containers/json: a container's value
// ("none" without a healthcheck), and the values the filter takes.
std::string filter_value(const std::optional<model::Health>& h);
bool valid_filter_value(const std::string& v);

// berth's on-unhealthy restart: the policy "on-unhealthy" (within its retry
// count, 0 = unlimited, counted by restart_count) or the label
// org.berth.restart-on-unhealthy=true with any policy.
inline constexpr const char* kRestartLabel = "org.berth.restart-on-unhealthy";
bool restart_when_unhealthy(const model::RestartPolicy& policy, const model::StringMap& labels, int restart_count);

// Docker's checks of a healthcheck at create (validateHealthCheck).
Result<void> validate(const model::Healthcheck& h);

}  // namespace berth::engine::health
