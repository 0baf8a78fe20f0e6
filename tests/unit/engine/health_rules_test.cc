// Docker's healthcheck rules (engine/health/rules.h), the merge of the
// image's healthcheck with the request's, and how inspect and ps show health.
#include <gtest/gtest.h>

#include "base/go_time.h"
#include "dockerapi/container_json.h"
#include "engine/container_record.h"
#include "engine/health/rules.h"
#include "specgen/specgen.h"

namespace berth::engine::health {
namespace {

using model::HealthStatus;
using V = std::vector<std::string>;
constexpr int64_t S = kSecond;

model::ContainerConfig with_test(V test) {
  model::ContainerConfig c;
  c.healthcheck = model::Healthcheck{std::move(test)};
  return c;
}

TEST(HealthRules, SettingsOfTestForms) {
  EXPECT_FALSE(settings_of(model::ContainerConfig{}));
  EXPECT_FALSE(settings_of(with_test({})));
  EXPECT_FALSE(settings_of(with_test({"NONE"})));
  EXPECT_FALSE(settings_of(with_test({"WHAT", "x"})));
  EXPECT_FALSE(settings_of(with_test({"CMD"})));
  EXPECT_EQ(settings_of(with_test({"CMD", "cat", "/ok"}))->argv, (V{"cat", "/ok"}));
  EXPECT_EQ(settings_of(with_test({"CMD-SHELL", "test -f /ok"}))->argv, (V{"/bin/sh", "-c", "test -f /ok"}));
  auto shell = with_test({"CMD-SHELL", "x"});
  shell.shell = {"/bin/bash", "-ec"};
  EXPECT_EQ(settings_of(shell)->argv, (V{"/bin/bash", "-ec", "x"}));
}

TEST(HealthRules, DockerDefaultsForZeroFields) {
  auto s = *settings_of(with_test({"CMD", "true"}));
  EXPECT_EQ(s.interval_ns, 30 * S);
  EXPECT_EQ(s.timeout_ns, 30 * S);
  EXPECT_EQ(s.start_period_ns, 0);
  EXPECT_EQ(s.start_interval_ns, 5 * S);
  EXPECT_EQ(s.retries, 3);
  auto c = with_test({"CMD", "true"});
  c.healthcheck->interval_ns = 2 * S;
  c.healthcheck->timeout_ns = 3 * S;
  c.healthcheck->start_period_ns = 4 * S;
  c.healthcheck->start_interval_ns = 5;
  c.healthcheck->retries = 7;
  s = *settings_of(c);
  EXPECT_EQ(s, (Settings{{"true"}, 2 * S, 3 * S, 4 * S, 5, 7}));
}

TEST(HealthRules, NextDelayUsesStartIntervalOnlyWhileStartingInStartPeriod) {
  Settings s{{"true"}, 10 * S, S, 20 * S, 2 * S, 3};
  EXPECT_EQ(next_delay_ns(s, 0, HealthStatus::Starting), 2 * S);
  EXPECT_EQ(next_delay_ns(s, 19 * S, HealthStatus::Starting), 2 * S);
  EXPECT_EQ(next_delay_ns(s, 5 * S, HealthStatus::Healthy), 10 * S);
  EXPECT_EQ(next_delay_ns(s, 20 * S, HealthStatus::Starting), 10 * S);
  s.start_period_ns = 0;
  EXPECT_EQ(next_delay_ns(s, 0, HealthStatus::Starting), 10 * S);
}

model::HealthResult result(int code) { return {"s", "e", code, "out"}; }

TEST(HealthRules, RetriesFailuresMakeUnhealthyAndASuccessResets) {
  Settings s{{"true"}, S, S, 0, S, 3};
  model::Health h;
  EXPECT_FALSE(record_result(h, result(1), s, 0));
  EXPECT_EQ(h.failing_streak, 1);
  EXPECT_FALSE(record_result(h, result(1), s, 0));
  EXPECT_EQ(h.status, HealthStatus::Starting);
  EXPECT_TRUE(record_result(h, result(2), s, 0));
  EXPECT_EQ(h.status, HealthStatus::Unhealthy);
  EXPECT_EQ(h.failing_streak, 3);
  EXPECT_FALSE(record_result(h, result(1), s, 0));
  EXPECT_EQ(h.failing_streak, 4);
  EXPECT_TRUE(record_result(h, result(0), s, 0));
  EXPECT_EQ(h.status, HealthStatus::Healthy);
  EXPECT_EQ(h.failing_streak, 0);
  EXPECT_FALSE(record_result(h, result(1), s, 0));  // healthy until retries failures
  EXPECT_EQ(h.status, HealthStatus::Healthy);
}

TEST(HealthRules, StartPeriodFailuresDoNotCountUntilASuccess) {
  Settings s{{"true"}, S, S, 10 * S, S, 1};
  model::Health h;
  EXPECT_FALSE(record_result(h, result(1), s, 9 * S));
  EXPECT_EQ(h.failing_streak, 0);
  EXPECT_EQ(h.status, HealthStatus::Starting);
  EXPECT_TRUE(record_result(h, result(1), s, 10 * S));  // the period is over
  EXPECT_EQ(h.status, HealthStatus::Unhealthy);
  model::Health h2;
  EXPECT_TRUE(record_result(h2, result(0), s, S));
  EXPECT_TRUE(record_result(h2, result(1), s, 2 * S));  // healthy once: failures count in the period
  EXPECT_EQ(h2.status, HealthStatus::Unhealthy);
}

TEST(HealthRules, LogKeepsTheLastFive) {
  Settings s{{"true"}, S, S, 0, S, 3};
  model::Health h;
  for (int i = 0; i < 7; ++i) record_result(h, result(i), s, 0);
  ASSERT_EQ(h.log.size(), 5u);
  EXPECT_EQ(h.log.front().exit_code, 2);
  EXPECT_EQ(h.log.back().exit_code, 6);
}

TEST(HealthRules, OutputKeepsTheFirst4096Bytes) {
  LimitedOutput o;
  o.append("abc");
  EXPECT_EQ(o.str(), "abc");
  o.append(std::string(5000, 'x'));
  EXPECT_EQ(o.str(), "abc" + std::string(4093, 'x') + "...");
  LimitedOutput exact;
  exact.append(std::string(4096, 'y'));
  EXPECT_EQ(exact.str(), std::string(4096, 'y'));
}

TEST(HealthRules, TimeoutOutputAsDocker) {
  EXPECT_EQ(timeout_output(S, ""), "Health check exceeded timeout (1s)");
  EXPECT_EQ(timeout_output(500 * kMillisecond, "partial\n"), "Health check exceeded timeout (500ms): partial\n");
  EXPECT_EQ(timeout_output(90 * S, ""), "Health check exceeded timeout (1m30s)");
}

TEST(HealthRules, ValidateInDockersWords) {
  auto check = [](model::Healthcheck h) {
    auto r = validate(h);
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(check({{"CMD", "true"}}), "");
  EXPECT_EQ(check({{}, kMillisecond, kMillisecond, kMillisecond, kMillisecond, 0}), "");
  EXPECT_EQ(check({{}, 500'000}), "Interval in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(check({{}, -10 * kMillisecond}), "Interval in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(check({{}, 0, -1}), "Timeout in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(check({{}, 0, 0, 5}), "StartPeriod in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(check({{}, 0, 0, 0, 5}), "StartInterval in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(check({{}, 0, 0, 0, 0, -1}), "Retries in Healthcheck cannot be negative");
}

TEST(HealthRules, HealthFilterValues) {
  EXPECT_EQ(filter_value(std::nullopt), "none");
  EXPECT_EQ(filter_value(model::Health{HealthStatus::Unhealthy}), "unhealthy");
  for (const char* v : {"none", "starting", "healthy", "unhealthy"}) EXPECT_TRUE(valid_filter_value(v)) << v;
  for (const char* v : {"", "Healthy", "sick", "health: starting"}) EXPECT_FALSE(valid_filter_value(v)) << v;
}

TEST(HealthRules, RestartWhenUnhealthy) {
  using P = model::RestartPolicyName;
  EXPECT_FALSE(restart_when_unhealthy({P::No, 0}, {}, 0));
  EXPECT_FALSE(restart_when_unhealthy({P::Always, 0}, {}, 0));
  EXPECT_TRUE(restart_when_unhealthy({P::OnUnhealthy, 0}, {}, 100));
  EXPECT_TRUE(restart_when_unhealthy({P::OnUnhealthy, 2}, {}, 1));
  EXPECT_FALSE(restart_when_unhealthy({P::OnUnhealthy, 2}, {}, 2));
  EXPECT_TRUE(restart_when_unhealthy({P::Always, 0}, {{kRestartLabel, "true"}}, 9));
  EXPECT_FALSE(restart_when_unhealthy({P::No, 0}, {{kRestartLabel, "false"}}, 0));
}

// dockerd's merge (daemon/commit.go): the request's fields win, zero inherits the image's.
TEST(HealthRules, MergeWithTheImagesHealthcheck) {
  model::ContainerConfig image;
  image.cmd = V{"sleep", "1"};
  image.healthcheck = model::Healthcheck{{"CMD-SHELL", "image-check"}, 5 * S, 6 * S, 7 * S, 8 * S, 9};
  model::ContainerConfig req;
  auto merged = specgen::merge_config(req, image);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->config.healthcheck, image.healthcheck);

  req.healthcheck = model::Healthcheck{{}, S, 0, 0, 0, 2};
  merged = specgen::merge_config(req, image);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->config.healthcheck, (model::Healthcheck{{"CMD-SHELL", "image-check"}, S, 6 * S, 7 * S, 8 * S, 2}));

  req.healthcheck = model::Healthcheck{{"NONE"}};
  merged = specgen::merge_config(req, image);
  ASSERT_TRUE(merged);
  EXPECT_FALSE(settings_of(merged->config));  // --no-healthcheck turns the image's off

  model::ContainerConfig plain;
  plain.cmd = V{"sleep", "1"};
  req.healthcheck = model::Healthcheck{{"CMD", "true"}, 3 * S};
  merged = specgen::merge_config(req, plain);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->config.healthcheck, req.healthcheck);
}

TEST(HealthRender, StateHealthJsonAsDocker) {
  model::Health h{HealthStatus::Unhealthy, 3, {{"2026-12-07T10:00:00.5Z", "2026-12-07T10:00:00.75Z", -1, "x"}}};
  EXPECT_EQ(dockerapi::render_health(h).dump(),
            R"({"FailingStreak":3,"Log":[{"End":"2026-12-07T10:00:00.75Z","ExitCode":-1,"Output":"x",)"
            R"("Start":"2026-12-07T10:00:00.5Z"}],"Status":"unhealthy"})");
  EXPECT_EQ(dockerapi::render_health(model::Health{}).dump(), R"({"FailingStreak":0,"Log":[],"Status":"starting"})");

  model::ContainerInfo c;
  c.ever_started = true;
  c.state.running = true;
  EXPECT_FALSE(dockerapi::render_inspect(c)["State"].contains("Health"));
  c.state.health = h;
  EXPECT_EQ(dockerapi::render_inspect(c)["State"]["Health"]["Status"], "unhealthy");
}

TEST(HealthRender, PsStatusText) {
  model::RunState s;
  s.running = true;
  s.started_at = "2026-12-07T10:00:00Z";
  int64_t now = go::parse_rfc3339("2026-12-07T10:00:05Z")->sec;
  EXPECT_EQ(dockerapi::status_text(s, true, now), "Up 5 seconds");
  s.health = model::Health{HealthStatus::Starting};
  EXPECT_EQ(dockerapi::status_text(s, true, now), "Up 5 seconds (health: starting)");
  s.health->status = HealthStatus::Healthy;
  EXPECT_EQ(dockerapi::status_text(s, true, now), "Up 5 seconds (healthy)");
  s.health->status = HealthStatus::Unhealthy;
  EXPECT_EQ(dockerapi::status_text(s, true, now), "Up 5 seconds (unhealthy)");
  s.paused = true;
  EXPECT_EQ(dockerapi::status_text(s, true, now), "Up 5 seconds (Paused)");
  s.paused = s.running = false;
  s.finished_at = "2026-12-07T10:00:04Z";
  EXPECT_EQ(dockerapi::status_text(s, true, now), "Exited (0) 1 second ago");
}

TEST(HealthRecord, HealthSurvivesTheStoredRecord) {
  ContainerRecord r;
  r.id = "abc";
  r.name = "/n";
  r.created = "2026-12-07T10:00:00Z";
  r.state.running = true;
  r.state.health = model::Health{HealthStatus::Healthy, 0, {{"a", "b", 0, "ok"}, {"c", "d", 1, ""}}};
  auto back = record_from_json(record_to_json(r).dump());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->record.state, r.state);
  r.state.health.reset();
  back = record_from_json(record_to_json(r).dump());
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->record.state.health);
}

}  // namespace
}  // namespace berth::engine::health
