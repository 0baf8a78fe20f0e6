// The sampler driven by a fake clock and fake containers: no test sleeps.
#include "stats/sampler.h"

#include <gtest/gtest.h>

#include <atomic>

namespace berth::stats {
namespace {

using namespace std::chrono_literals;

class FakeClock : public Clock {
 public:
  int64_t monotonic_ns() override { return mono; }
  int64_t wall_ns() override { return wall; }
  void advance(std::chrono::nanoseconds d) {
    mono += d.count();
    wall += d.count();
  }
  std::atomic<int64_t> mono{1'000'000'000}, wall{1'700'000'000'000'000'000};
};

struct FakeContainer {
  std::string id;
  int64_t started_wall_ns = 0;
  uint64_t cpu_ns = 0;
  bool running = true;
};

class FakeSource : public TargetSource {
 public:
  std::vector<Target> running() override {
    std::lock_guard lk(mu);
    std::vector<Target> out;
    for (auto& c : containers) {
      if (!c.running) continue;
      Target t;
      t.id = c.id;
      t.name = "/" + c.id;
      t.started_wall_ns = c.started_wall_ns;
      t.read = [this, id = c.id](const HostFacts& h) -> std::optional<model::ContainerStats> {
        std::lock_guard lk(mu);
        ++reads;
        for (auto& c : containers)
          if (c.id == id) {
            model::ContainerStats s;
            s.cpu.total_ns = c.cpu_ns;
            s.cpu.system_ns = h.system_cpu_ns;
            s.cpu.online_cpus = h.online_cpus;
            return s;
          }
        return std::nullopt;
      };
      out.push_back(std::move(t));
    }
    return out;
  }
  HostFacts host() override {
    HostFacts h;
    h.system_cpu_ns = system_ns;
    h.online_cpus = 2;
    return h;
  }
  std::mutex mu;
  std::vector<FakeContainer> containers;
  int reads = 0;
  uint64_t system_ns = 500'000'000'000;
};

class SamplerTest : public ::testing::Test {
 protected:
  FakeClock clock;
  FakeSource source;
};

TEST_F(SamplerTest, SamplesOncePerIntervalForEveryCaller) {
  source.containers = {{"a", clock.wall - 10'000'000'000, 100}, {"b", clock.wall - 10'000'000'000, 200}};
  Sampler s(source, clock, 1000ms);
  auto first = s.latest();
  EXPECT_EQ(first->seq, 1u);
  EXPECT_EQ(first->containers.size(), 2u);
  EXPECT_EQ(source.reads, 2);
  clock.advance(999ms);
  auto again = s.latest("a");
  EXPECT_EQ(again, first);  // same sample, nothing read
  EXPECT_EQ(source.reads, 2);
  clock.advance(1ms);
  auto second = s.latest();
  EXPECT_EQ(second->seq, 2u);
  EXPECT_EQ(source.reads, 4);
  EXPECT_EQ(s.passes(), 2u);
}

TEST_F(SamplerTest, PreviousSampleIsTheBaseOfRates) {
  source.containers = {{"a", clock.wall - 10'000'000'000, 100}};
  Sampler s(source, clock, 1000ms);
  (void)s.latest();
  source.containers[0].cpu_ns = 600;
  source.system_ns += 2'000'000'000;
  clock.advance(1s);
  auto snap = s.latest();
  const auto& e = snap->containers.at("a");
  EXPECT_EQ(e.previous.cpu.total_ns, 100u);
  EXPECT_EQ(e.current.cpu.total_ns, 600u);
  EXPECT_EQ(e.current.cpu.system_ns - e.previous.cpu.system_ns, 2'000'000'000u);
  EXPECT_EQ(e.current.name, "/a");
  EXPECT_FALSE(e.current.read.empty());
}

TEST_F(SamplerTest, FirstSampleTakesTheStartAsBase) {
  // Started 10 s ago on 2 CPUs: the base is zero CPU and the host's time 20 CPU-seconds back.
  source.containers = {{"a", clock.wall - 10'000'000'000, 5'000'000'000}};
  Sampler s(source, clock, 1000ms);
  const auto& e = s.latest()->containers.at("a");
  EXPECT_EQ(e.previous.cpu.total_ns, 0u);
  EXPECT_EQ(e.previous.cpu.system_ns, source.system_ns - 20'000'000'000u);
  EXPECT_TRUE(e.previous.running);
  // A quarter of the host: 5 s of CPU over 10 s on 2 CPUs.
  double rate = double(e.current.cpu.total_ns - e.previous.cpu.total_ns) /
                double(e.current.cpu.system_ns - e.previous.cpu.system_ns);
  EXPECT_DOUBLE_EQ(rate, 0.25);
}

TEST_F(SamplerTest, RestartedContainerGetsANewBase) {
  source.containers = {{"a", clock.wall - 10'000'000'000, 9000}};
  Sampler s(source, clock, 1000ms);
  (void)s.latest();
  clock.advance(5s);
  source.containers[0].started_wall_ns = clock.wall - 1'000'000'000;  // started again since
  source.containers[0].cpu_ns = 50;
  const auto& e = s.latest()->containers.at("a");
  EXPECT_EQ(e.previous.cpu.total_ns, 0u);
}

TEST_F(SamplerTest, NewContainerIsSampledAtOnceAndEndedOnesDrop) {
  source.containers = {{"a", clock.wall, 1}};
  Sampler s(source, clock, 1000ms);
  EXPECT_EQ(s.latest()->containers.count("b"), 0u);
  source.containers.push_back({"b", clock.wall, 2});
  auto snap = s.latest("b");  // within the interval, but b is new
  EXPECT_EQ(snap->seq, 2u);
  EXPECT_EQ(snap->containers.count("b"), 1u);
  source.containers[0].running = false;
  clock.advance(1s);
  EXPECT_EQ(s.latest()->containers.count("a"), 0u);
}

TEST_F(SamplerTest, NoThreadUntilWatchedAndNoneAfter) {
  source.containers = {{"a", clock.wall, 1}};
  Sampler s(source, clock, 1000ms);
  EXPECT_FALSE(s.thread_running());
  (void)s.latest();
  EXPECT_FALSE(s.thread_running());  // one-shots sample in the caller
  {
    auto w1 = s.watch();
    auto w2 = s.watch();
    EXPECT_TRUE(s.thread_running());
    // The loop's first pass: the clock has not moved, so the pass is the one before or its own.
    auto snap = s.wait_newer(0, 10s);
    EXPECT_GE(snap->seq, 1u);
    w1.reset();
    EXPECT_TRUE(s.thread_running());
  }
  EXPECT_FALSE(s.thread_running());  // the last watcher joined it
  auto w = s.watch();
  EXPECT_TRUE(s.thread_running());
  w.reset();
  EXPECT_FALSE(s.thread_running());
}

TEST_F(SamplerTest, WatchedLoopSamplesWhenTheIntervalPasses) {
  source.containers = {{"a", clock.wall, 1}};
  // A short real interval bounds the loop's wait; the fake clock decides when a pass is due.
  Sampler s(source, clock, 1ms);
  auto first = s.latest();
  auto w = s.watch();
  clock.advance(1ms);
  auto next = s.wait_newer(first->seq, 10s);
  EXPECT_GT(next->seq, first->seq);
}

}  // namespace
}  // namespace berth::stats
