// The healthcheck scheduler (engine/health/monitor.h) on a manual clock:
// when probes start, what their results do, timeouts, and that stopping or
// pausing a container cancels its probes.
#include <gtest/gtest.h>

#include <map>

#include "engine/health/monitor.h"
#include "manual_timers.h"

namespace berth::engine::health {
namespace {

using fakes::ManualTimers;
using model::HealthStatus;
constexpr int64_t S = kSecond;

struct FakeProbe : ProbeHandle {
  bool killed = false;
  void kill() override { killed = true; }
};

struct Started {
  std::string id;
  std::vector<std::string> argv;
  ProbeDone done;
  std::shared_ptr<FakeProbe> handle;
  int64_t at = 0;
};

class FakeProber : public Prober {
 public:
  explicit FakeProber(ManualTimers& t) : t_(t) {}
  Result<std::shared_ptr<ProbeHandle>> start_probe(const std::string& id, const std::vector<std::string>& argv,
                                                   ProbeDone done) override {
    if (!refuse.empty()) return fail(Errc::Conflict, refuse);
    auto h = std::make_shared<FakeProbe>();
    started.push_back({id, argv, std::move(done), h, t_.now_ns()});
    return h;
  }
  std::vector<Started> started;
  std::string refuse;

 private:
  ManualTimers& t_;
};

struct Reported {
  std::string id, run;
  model::Health health;
  bool changed;
};

class RecordingSink : public HealthSink {
 public:
  void on_health(const std::string& id, const std::string& run, const model::Health& h, bool changed) override {
    reports.push_back({id, run, h, changed});
  }
  std::vector<Reported> reports;
};

class HealthMonitorTest : public ::testing::Test {
 protected:
  ManualTimers timers;
  FakeProber prober{timers};
  RecordingSink sink;
  int stamp = 0;
  Monitor monitor{timers, prober, sink, [this] { return "t" + std::to_string(stamp++); }};

  Settings settings(int64_t interval, int64_t timeout = 30 * S, int retries = 3, int64_t start_period = 0,
                    int64_t start_interval = 5 * S) {
    return Settings{{"/bin/sh", "-c", "check"}, interval, timeout, start_period, start_interval, retries};
  }
  // Ends the last started probe.
  void finish(int code, std::string out = "") { prober.started.back().done(code, std::move(out)); }
};

TEST_F(HealthMonitorTest, FirstProbeAfterTheIntervalThenAnIntervalAfterEachEnd) {
  monitor.watch("c1", "run1", settings(10 * S), {}, 0);
  timers.advance_to(10 * S - 1);
  EXPECT_TRUE(prober.started.empty());
  timers.advance_to(10 * S);
  ASSERT_EQ(prober.started.size(), 1u);
  EXPECT_EQ(prober.started[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "check"}));
  EXPECT_TRUE(monitor.probing("c1"));
  timers.advance_to(12 * S);  // a probe in flight: no second one
  EXPECT_EQ(prober.started.size(), 1u);
  finish(0, "ok");
  ASSERT_EQ(sink.reports.size(), 1u);
  EXPECT_EQ(sink.reports[0].run, "run1");
  EXPECT_TRUE(sink.reports[0].changed);
  EXPECT_EQ(sink.reports[0].health.status, HealthStatus::Healthy);
  ASSERT_EQ(sink.reports[0].health.log.size(), 1u);
  EXPECT_EQ(sink.reports[0].health.log[0].output, "ok");
  EXPECT_EQ(sink.reports[0].health.log[0].start, "t0");
  EXPECT_EQ(sink.reports[0].health.log[0].end, "t1");
  timers.advance_to(22 * S - 1);
  EXPECT_EQ(prober.started.size(), 1u);
  timers.advance_to(22 * S);
  EXPECT_EQ(prober.started.size(), 2u);
  finish(0);
  EXPECT_FALSE(sink.reports.back().changed);
}

TEST_F(HealthMonitorTest, StartIntervalDuringTheStartPeriodAndFailuresThereDoNotCount) {
  monitor.watch("c1", "r", settings(30 * S, 30 * S, 1, 10 * S, 2 * S), {}, 0);
  timers.advance_to(2 * S);
  ASSERT_EQ(prober.started.size(), 1u);
  finish(1);
  EXPECT_EQ(sink.reports.back().health.status, HealthStatus::Starting);
  EXPECT_EQ(sink.reports.back().health.failing_streak, 0);
  timers.advance_to(4 * S);
  ASSERT_EQ(prober.started.size(), 2u);
  finish(1);
  EXPECT_EQ(sink.reports.back().health.status, HealthStatus::Starting);
  timers.advance_to(6 * S);
  ASSERT_EQ(prober.started.size(), 3u);
  finish(0);  // healthy: the interval from now on, and failures count
  EXPECT_EQ(sink.reports.back().health.status, HealthStatus::Healthy);
  timers.advance_to(35 * S);
  EXPECT_EQ(prober.started.size(), 3u);
  timers.advance_to(36 * S);
  ASSERT_EQ(prober.started.size(), 4u);
  finish(1);
  EXPECT_EQ(sink.reports.back().health.status, HealthStatus::Unhealthy);
  EXPECT_TRUE(sink.reports.back().changed);
}

TEST_F(HealthMonitorTest, RetriesFailuresMakeUnhealthyASuccessResetsTheStreak) {
  monitor.watch("c1", "r", settings(S, 30 * S, 3), {}, 0);
  for (int i = 1; i <= 3; ++i) {
    timers.advance_to(timers.now_ns() + S);
    ASSERT_EQ(prober.started.size(), static_cast<size_t>(i));
    finish(1, "bad");
    EXPECT_EQ(sink.reports.back().health.failing_streak, i);
    EXPECT_EQ(sink.reports.back().changed, i == 3);
  }
  EXPECT_EQ(sink.reports.back().health.status, HealthStatus::Unhealthy);
  timers.advance_to(timers.now_ns() + S);
  finish(0);
  EXPECT_EQ(sink.reports.back().health.status, HealthStatus::Healthy);
  EXPECT_EQ(sink.reports.back().health.failing_streak, 0);
  EXPECT_TRUE(sink.reports.back().changed);
}

TEST_F(HealthMonitorTest, AProbeOverItsTimeoutIsKilledAndRecordedAsDocker) {
  monitor.watch("c1", "r", settings(S, 2 * S, 3), {}, 0);
  timers.advance_to(S);
  ASSERT_EQ(prober.started.size(), 1u);
  timers.advance_to(3 * S - 1);
  EXPECT_FALSE(prober.started[0].handle->killed);
  timers.advance_to(3 * S);
  EXPECT_TRUE(prober.started[0].handle->killed);
  EXPECT_TRUE(sink.reports.empty());  // recorded once it has ended
  finish(137, "partial");
  ASSERT_EQ(sink.reports.size(), 1u);
  const auto& r = sink.reports[0].health.log.back();
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.output, "Health check exceeded timeout (2s): partial");
  EXPECT_EQ(sink.reports[0].health.failing_streak, 1);
  timers.advance_to(4 * S);
  EXPECT_EQ(prober.started.size(), 2u);
  finish(0);
  EXPECT_EQ(sink.reports.back().health.log.back().exit_code, 0);  // a later probe is not a timeout
}

TEST_F(HealthMonitorTest, AProbeThatCannotStartIsAFailureWithItsError) {
  prober.refuse = "Container c1 is not running";
  monitor.watch("c1", "r", settings(S, S, 1), {}, 0);
  timers.advance_to(S);
  ASSERT_EQ(sink.reports.size(), 1u);
  EXPECT_EQ(sink.reports[0].health.log[0].exit_code, -1);
  EXPECT_EQ(sink.reports[0].health.log[0].output, "Container c1 is not running");
  EXPECT_EQ(sink.reports[0].health.status, HealthStatus::Unhealthy);
}

TEST_F(HealthMonitorTest, UnwatchKillsTheRunningProbeDropsItsResultAndCancelsTheSchedule) {
  monitor.watch("c1", "r", settings(S), {}, 0);
  monitor.watch("c2", "r", settings(S), {}, 0);
  timers.advance_to(S);
  ASSERT_EQ(prober.started.size(), 2u);
  monitor.unwatch("c1");
  EXPECT_TRUE(prober.started[0].handle->killed);
  EXPECT_FALSE(prober.started[1].handle->killed);
  prober.started[0].done(137, "");
  EXPECT_TRUE(sink.reports.empty());
  EXPECT_EQ(monitor.watched(), 1u);
  prober.started[1].done(0, "");
  timers.advance_to(100 * S);
  ASSERT_GT(prober.started.size(), 2u);
  for (size_t i = 2; i < prober.started.size(); ++i) EXPECT_EQ(prober.started[i].id, "c2");
  monitor.unwatch("c2");
  EXPECT_EQ(monitor.watched(), 0u);
  EXPECT_EQ(timers.pending(), 0u);  // nothing left armed
}

TEST_F(HealthMonitorTest, PausedContainersAreNotProbedAndResumeWaitsAnInterval) {
  monitor.watch("c1", "r", settings(10 * S), {}, 0);
  timers.advance_to(10 * S);
  ASSERT_EQ(prober.started.size(), 1u);
  monitor.pause("c1");
  EXPECT_TRUE(prober.started[0].handle->killed);
  finish(137);
  EXPECT_TRUE(sink.reports.empty());
  timers.advance_to(60 * S);
  EXPECT_EQ(prober.started.size(), 1u);
  monitor.resume("c1");
  timers.advance_to(70 * S - 1);
  EXPECT_EQ(prober.started.size(), 1u);
  timers.advance_to(70 * S);
  EXPECT_EQ(prober.started.size(), 2u);
}

TEST_F(HealthMonitorTest, AWatchAgainStartsOverAndDropsTheOldRunsResult) {
  monitor.watch("c1", "run1", settings(S), {}, 0);
  timers.advance_to(S);
  ASSERT_EQ(prober.started.size(), 1u);
  model::Health restored{HealthStatus::Unhealthy, 4, {{"a", "b", 1, "x"}}};
  monitor.watch("c1", "run2", settings(S), restored, 0);
  EXPECT_TRUE(prober.started[0].handle->killed);
  prober.started[0].done(0, "");
  EXPECT_TRUE(sink.reports.empty());
  timers.advance_to(2 * S);
  ASSERT_EQ(prober.started.size(), 2u);
  finish(1);
  ASSERT_EQ(sink.reports.size(), 1u);
  EXPECT_EQ(sink.reports[0].run, "run2");
  EXPECT_EQ(sink.reports[0].health.failing_streak, 5);  // kept from the restored health
  EXPECT_EQ(sink.reports[0].health.log.size(), 2u);
}

TEST_F(HealthMonitorTest, ARestoredContainerPastItsStartPeriodUsesTheInterval) {
  monitor.watch("c1", "r", settings(10 * S, S, 3, 5 * S, S), {}, 60 * S);
  timers.advance_to(S);
  EXPECT_TRUE(prober.started.empty());
  timers.advance_to(10 * S);
  EXPECT_EQ(prober.started.size(), 1u);
}

TEST_F(HealthMonitorTest, ShutdownKillsRunningProbesAndWatchesNothingMore) {
  monitor.watch("c1", "r", settings(S), {}, 0);
  timers.advance_to(S);
  monitor.shutdown();
  EXPECT_TRUE(prober.started[0].handle->killed);
  monitor.watch("c2", "r", settings(S), {}, 0);
  EXPECT_EQ(monitor.watched(), 0u);
}

TEST(HealthThreadTimers, RunsInDeadlineOrderAndCancels) {
  ThreadTimers t;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> order;
  auto push = [&](int v) {
    std::lock_guard lk(mu);
    order.push_back(v);
    cv.notify_all();
  };
  t.after(30 * kMillisecond, [&] { push(3); });
  auto cancelled = t.after(5 * kMillisecond, [&] { push(99); });
  t.after(10 * kMillisecond, [&] { push(1); });
  t.after(20 * kMillisecond, [&] { push(2); });
  t.cancel(cancelled);
  std::unique_lock lk(mu);
  ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return order.size() >= 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace berth::engine::health
