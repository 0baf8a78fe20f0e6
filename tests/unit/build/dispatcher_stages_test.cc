// Stages in native mode: those that do not read each other build at the
// same time (proved without sleeping: each one's RUN waits until the
// other's has started), a stage waits for the stages it reads, the log
// stays line by line readable, a failure fails the build with its own
// message and code; the legacy mode stays one stage after another.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>

#include "base/strings.h"
#include "build/dispatcher.h"
#include "fake_primitives.h"

namespace berth::build {
namespace {

BuildOptions parallel() {
  BuildOptions opt;
  opt.skip_unused_stages = true;
  opt.run_mounts = true;
  opt.parallel_stages = true;
  return opt;
}

// RUNs that say when they start and wait for each other.
class Rendezvous {
 public:
  void started(const std::string& cmd) {
    std::lock_guard lk(mu_);
    started_.insert(cmd);
    cv_.notify_all();
  }
  // False when `cmd` did not start within the time a stuck build gets (not an ordering sleep:
  // the wait ends as soon as it starts).
  bool wait_for(const std::string& cmd) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(20), [&] { return started_.contains(cmd); });
  }
  void finished(const std::string& cmd) {
    std::lock_guard lk(mu_);
    order_.push_back(cmd);
  }
  std::vector<std::string> order() {
    std::lock_guard lk(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> started_;
  std::vector<std::string> order_;
};

const char* kTwoStages =
    "FROM busybox AS a\nRUN make a\n"
    "FROM busybox AS b\nRUN make b\n"
    "FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nRUN make final\n";

TEST(DispatcherStages, StagesThatDoNotReadEachOtherRunAtTheSameTime) {
  FakePrimitives p;
  Rendezvous r;
  std::atomic<bool> met{true};
  p.on_run = [&](const RunStep& step) {
    const std::string& cmd = step.argv.back();
    r.started(cmd);
    // a's RUN goes on only once b's has started, and b's once a's has.
    if (cmd == "make a" && !r.wait_for("make b")) met = false;
    if (cmd == "make b" && !r.wait_for("make a")) met = false;
    if (cmd == "make final" && !(r.wait_for("make a") && r.wait_for("make b"))) met = false;
  };
  auto b = build(p, kTwoStages, parallel());
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_TRUE(met) << "the stages' RUNs did not overlap:\n" << b.log;
  ASSERT_EQ(p.copies.size(), 2u);
}

TEST(DispatcherStages, AStageStartsOnlyOnceTheStagesItReadsAreBuilt) {
  FakePrimitives p;
  Rendezvous r;
  p.on_run = [&](const RunStep& step) { r.finished(step.argv.back()); };
  auto b = build(p,
                 "FROM busybox AS base\nRUN make base\nRUN make base2\n"
                 "FROM base AS child\nRUN make child\n"
                 "FROM busybox AS other\nRUN --mount=from=child,target=/c make other\n"
                 "FROM busybox\nCOPY --from=other /o /o\n",
                 parallel());
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_EQ(r.order(), (std::vector<std::string>{"make base", "make base2", "make child", "make other"}));
}

TEST(DispatcherStages, EachLineNamesItsStageAndStepsKeepTheirNumbers) {
  FakePrimitives p;
  Rendezvous r;
  p.on_run = [&](const RunStep& step) {
    r.started(step.argv.back());
    if (step.argv.back() == "make a") r.wait_for("make b");  // interleave the two stages' lines
  };
  auto b = build(p, kTwoStages, parallel());
  ASSERT_TRUE(b.id) << b.id.error().message;
  std::vector<std::string> lines;
  for (const auto& l : split(b.log, '\n', true)) lines.push_back(l);
  std::vector<std::string> a_lines;
  for (const auto& l : lines) {
    EXPECT_TRUE(l.starts_with("[a] ") || l.starts_with("[b] ") || l.starts_with("[stage-2] ")) << l;
    if (l.starts_with("[a] ")) a_lines.push_back(l.substr(4));
  }
  ASSERT_EQ(a_lines.size(), 5u) << b.log;
  EXPECT_EQ(a_lines[0], "Step 1/8 : FROM busybox AS a");
  EXPECT_EQ(a_lines[2], "Step 2/8 : RUN make a");
  EXPECT_EQ(a_lines[3], "output of make a");
  EXPECT_NE(b.log.find("[b] Step 4/8 : RUN make b\n"), std::string::npos) << b.log;
  EXPECT_NE(b.log.find("[stage-2] Step 8/8 : RUN make final\n"), std::string::npos) << b.log;
}

TEST(DispatcherStages, TheFirstStageToFailFailsTheBuildWithItsMessageAndCode) {
  FakePrimitives p;
  p.exit_codes["make a"] = 3;
  Rendezvous r;
  p.on_run = [&](const RunStep& step) {
    r.started(step.argv.back());
    if (step.argv.back() == "make a") r.wait_for("make b");
  };
  auto b = build(p,
                 "FROM busybox AS a\nRUN make a\n"
                 "FROM busybox AS b\nRUN make b\nRUN make b2\n"
                 "FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n",
                 parallel());
  ASSERT_FALSE(b.id);
  EXPECT_EQ(b.id.error().message, "Dockerfile line 2: The command '/bin/sh -c make a' returned a non-zero code: 3");
  EXPECT_EQ(b.exit_code, 3);
  EXPECT_TRUE(p.copies.empty());  // the stage that reads a never started
}

TEST(DispatcherStages, TheLegacyModeBuildsOneStageAfterAnotherWithoutPrefixes) {
  FakePrimitives p;
  Rendezvous r;
  p.on_run = [&](const RunStep& step) { r.finished(step.argv.back()); };
  auto b = build(p, kTwoStages);
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_EQ(r.order(), (std::vector<std::string>{"make a", "make b", "make final"}));
  EXPECT_EQ(b.log.find('['), std::string::npos) << b.log;
  EXPECT_NE(b.log.find("Step 4/8 : RUN make b\noutput of make b\n"), std::string::npos) << b.log;
}

TEST(DispatcherStages, OneStageLeftIsBuiltAsTheLegacyBuilderLogsIt) {
  FakePrimitives p;
  auto b = build(p, "FROM busybox AS unused\nRUN make unused\nFROM busybox\nRUN make\n", parallel());
  ASSERT_TRUE(b.id) << b.id.error().message;
  EXPECT_EQ(b.log.find('['), std::string::npos) << b.log;
  EXPECT_NE(b.log.find("Step 3/4 : FROM busybox\n"), std::string::npos) << b.log;
}

}  // namespace
}  // namespace berth::build
