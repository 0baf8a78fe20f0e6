// The executor over the fake engine: what `up` and `down` call, in which
// order, what runs at once, and waiting on depends_on conditions.
#include <gtest/gtest.h>

#include <algorithm>

#include "compose/labels.h"
#include "compose_ops/executor.h"
#include "compose_ops/plan.h"
#include "fake_engine.h"

namespace berth::compose_ops {
namespace {

using testing::FakeEngine;
using testing::load;

const char* kTwo = R"(
services:
  web:
    image: busybox
    environment: {A: "1"}
    volumes: [data:/data]
  client:
    image: busybox
    depends_on: [web]
volumes:
  data: {}
)";

struct Harness {
  compose::Project project;
  FakeEngine engine;
  std::mutex mu;
  std::vector<std::string> reports;
  Executor executor;

  explicit Harness(const std::string& yaml)
      : project(load(yaml)),
        executor(engine, project, [this](std::string_view kind, const std::string& name, std::string_view status) {
          std::lock_guard lock(mu);
          reports.push_back(fmt::format("{} {} {}", kind, name, status));
        }) {}

  Result<void> up(UpRequest request = {}, Executor::UpOptions options = {}) {
    Observed o = TRY(executor.observe(true));
    std::set<std::string> selected = TRY(select_services(project, request.services, request.with_dependencies));
    TRYV(executor.ensure_images(selected, {}, o));
    UpPlan plan = TRY(plan_up(project, o, request));
    return executor.apply_up(plan, options);
  }
  Result<void> down(DownRequest request = {}) {
    Observed o = TRY(executor.observe(true));
    DownPlan plan = TRY(plan_down(project, o, request));
    return executor.apply_down(plan, std::nullopt, request.volumes);
  }
  size_t index_of(const std::string& call) {
    auto it = std::find(engine.calls.begin(), engine.calls.end(), call);
    EXPECT_NE(it, engine.calls.end()) << call;
    return it - engine.calls.begin();
  }
};

TEST(Executor, UpCreatesNetworksVolumesThenServicesInOrder) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up());
  EXPECT_LT(h.index_of("create_network proj_default"), h.index_of("create proj-web-1"));
  EXPECT_LT(h.index_of("create_volume proj_data"), h.index_of("create proj-web-1"));
  EXPECT_LT(h.index_of("start proj-web-1"), h.index_of("create proj-client-1"));
  EXPECT_EQ(h.engine.calls_starting("list_containers").size(), 1u);  // one list call
  EXPECT_EQ(h.engine.calls_starting("image_id").size(), 1u);         // one inspect per image
  const auto* web = h.engine.by_name("proj-web-1");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->state.status, "running");
  EXPECT_EQ(web->body["NetworkingConfig"]["EndpointsConfig"]["proj_default"]["Aliases"], Json({"web"}));
  EXPECT_EQ(h.engine.networks["proj_default"]["Labels"]["com.docker.compose.network"], "default");
  EXPECT_EQ(h.engine.volumes["proj_data"]["Labels"]["com.docker.compose.volume"], "data");
}

TEST(Executor, SecondUpKeepsEverythingAndAChangeRecreatesOnlyItsService) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up());
  std::string web_id = h.engine.by_name("proj-web-1")->info.id;
  std::string client_id = h.engine.by_name("proj-client-1")->info.id;
  h.engine.calls.clear();
  ASSERT_TRUE(h.up());
  EXPECT_TRUE(h.engine.calls_starting("create").empty());
  EXPECT_TRUE(h.engine.calls_starting("start").empty());
  EXPECT_EQ(h.engine.by_name("proj-web-1")->info.id, web_id);

  std::string changed = kTwo;
  changed.replace(changed.find("A: \"1\""), 6, "A: \"2\"");
  Harness h2(changed);
  h2.engine.containers = h.engine.containers;
  h2.engine.networks = h.engine.networks;
  h2.engine.volumes = h.engine.volumes;
  h2.engine.next_id = h.engine.next_id;
  ASSERT_TRUE(h2.up());
  EXPECT_NE(h2.engine.by_name("proj-web-1")->info.id, web_id);
  EXPECT_EQ(h2.engine.by_name("proj-client-1")->info.id, client_id);
  EXPECT_LT(h2.index_of("stop proj-web-1"), h2.index_of("remove proj-web-1"));
  EXPECT_LT(h2.index_of("remove proj-web-1"), h2.index_of("create proj-web-1"));
  EXPECT_TRUE(h2.engine.calls_starting("create_network").empty());
}

TEST(Executor, ServicesOfALevelAreCreatedAtOnce) {
  Harness h("services:\n  a: {image: busybox}\n  b: {image: busybox}\n  c: {image: busybox}\n");
  h.engine.create_gate = 3;  // each create waits until three are in flight
  ASSERT_TRUE(h.up());
  EXPECT_FALSE(h.engine.gate_timed_out);
  EXPECT_EQ(h.engine.max_in_flight, 3);
}

TEST(Executor, ScaleUpAndDown) {
  Harness h(kTwo);
  UpRequest r;
  r.scale["web"] = 3;
  ASSERT_TRUE(h.up(r));
  EXPECT_NE(h.engine.by_name("proj-web-3"), nullptr);
  r.scale["web"] = 1;
  h.engine.calls.clear();
  ASSERT_TRUE(h.up(r));
  EXPECT_EQ(h.engine.by_name("proj-web-2"), nullptr);
  EXPECT_EQ(h.engine.by_name("proj-web-3"), nullptr);
  EXPECT_NE(h.engine.by_name("proj-web-1"), nullptr);
  EXPECT_EQ(h.engine.calls_starting("remove").size(), 2u);
}

TEST(Executor, RemoveOrphans) {
  Harness h(kTwo);
  StringMap labels{{compose::label::kProject, "proj"}, {compose::label::kService, "old"},
                   {compose::label::kOneoff, "False"}, {compose::label::kContainerNumber, "1"}};
  h.engine.add_container("proj-old-1", labels);
  ASSERT_TRUE(h.up());
  EXPECT_NE(h.engine.by_name("proj-old-1"), nullptr);
  ASSERT_TRUE(h.up(UpRequest{.remove_orphans = true}));
  EXPECT_EQ(h.engine.by_name("proj-old-1"), nullptr);
}

TEST(Executor, DownRemovesDependentsFirstThenNetworksAndWithVVolumes) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up());
  h.engine.calls.clear();
  ASSERT_TRUE(h.down(DownRequest{.volumes = true}));
  EXPECT_LT(h.index_of("remove proj-client-1 -v"), h.index_of("stop proj-web-1"));
  EXPECT_LT(h.index_of("remove proj-web-1 -v"), h.index_of("remove_network proj_default"));
  EXPECT_LT(h.index_of("remove_network proj_default"), h.index_of("remove_volume proj_data"));
  EXPECT_TRUE(h.engine.containers.empty());
  EXPECT_TRUE(h.engine.networks.empty());
  EXPECT_TRUE(h.engine.volumes.empty());
}

TEST(Executor, DownWithoutVKeepsVolumes) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up());
  ASSERT_TRUE(h.down());
  EXPECT_TRUE(h.engine.containers.empty());
  EXPECT_EQ(h.engine.volumes.size(), 1u);
}

const char* kHealthy = R"(
services:
  web:
    image: busybox
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  client:
    image: busybox
    depends_on:
      web: {condition: service_healthy}
)";

TEST(Executor, ServiceHealthyWaitsForTheHealthEvent) {
  Harness h(kHealthy);
  h.engine.after_start["proj-web-1"] = {{"health_status: healthy", {}}};
  ASSERT_TRUE(h.up());
  EXPECT_LT(h.index_of("watch_events"), h.index_of("create proj-client-1"));
  EXPECT_EQ(h.engine.by_name("proj-client-1")->state.status, "running");
}

TEST(Executor, UnhealthyDependencyStopsTheUp) {
  Harness h(kHealthy);
  h.engine.after_start["proj-web-1"] = {{"health_status: unhealthy", {}}};
  auto r = h.up();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "dependency failed to start: container proj-web-1 is unhealthy");
  EXPECT_EQ(h.engine.by_name("proj-client-1"), nullptr);
}

TEST(Executor, CompletedSuccessfullyReadsTheExitCode) {
  const char* yaml = R"(
services:
  init: {image: busybox}
  app:
    image: busybox
    depends_on:
      init: {condition: service_completed_successfully}
)";
  Harness ok(yaml);
  ok.engine.after_start["proj-init-1"] = {{"die", {{"exitCode", "0"}}}};
  ASSERT_TRUE(ok.up());
  EXPECT_NE(ok.engine.by_name("proj-app-1"), nullptr);

  Harness bad(yaml);
  bad.engine.after_start["proj-init-1"] = {{"die", {{"exitCode", "3"}}}};
  auto r = bad.up();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "service \"init\" didn't complete successfully: exit 3");
}

TEST(Executor, WaitWithoutAHealthcheckIsMetByRunning) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up({}, Executor::UpOptions{.wait = true}));
  EXPECT_TRUE(h.engine.calls_starting("watch_events").empty());  // inspect said running: nothing to await
}

TEST(Executor, MissingImageWithoutBuildIsPulled) {
  Harness h("services:\n  a: {image: nginx}\n");
  auto r = h.up();
  ASSERT_FALSE(r);
  EXPECT_EQ(h.engine.calls_starting("pull").size(), 1u);
  EXPECT_EQ(r.error().message, "pull access denied for nginx");
}

TEST(Executor, BuildOnlyServiceIsBuiltAndTaggedProjectService) {
  Harness h("services:\n  app:\n    build: .\n");
  ASSERT_TRUE(h.up());
  EXPECT_EQ(h.engine.calls_starting("build").size(), 1u);
  EXPECT_EQ(h.engine.by_name("proj-app-1")->body["Image"], "proj-app");
}

TEST(Executor, StopRestartKillInOrder) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up());
  h.engine.calls.clear();
  ASSERT_TRUE(h.executor.stop({"web", "client"}, 3));
  EXPECT_LT(h.index_of("stop proj-client-1 -t 3"), h.index_of("stop proj-web-1 -t 3"));
  ASSERT_TRUE(h.executor.start({"web", "client"}));
  EXPECT_LT(h.index_of("start proj-web-1"), h.index_of("start proj-client-1"));
  ASSERT_TRUE(h.executor.kill({"web"}, "SIGKILL"));
  EXPECT_EQ(h.engine.calls_starting("kill"), std::vector<std::string>{"kill proj-web-1 SIGKILL"});
}

TEST(Executor, WaitReturnsTheFirstExitFromTheEvents) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up());
  std::string client = h.engine.by_name("proj-client-1")->info.id;
  std::string web = h.engine.by_name("proj-web-1")->info.id;
  int64_t t = h.engine.now_ns();
  h.engine.events.push_back(Event{.id = web, .action = "die", .attributes = {{"exitCode", "9"}}, .time_nano = t - 1});
  h.engine.events.push_back(Event{.id = web, .action = "kill", .attributes = {}, .time_nano = t + 1});
  h.engine.events.push_back(Event{.id = web, .action = "die", .attributes = {{"exitCode", "3"}}, .time_nano = t + 2});
  h.engine.events.push_back(Event{.id = client, .action = "die", .attributes = {{"exitCode", "4"}}, .time_nano = t + 3});
  auto code = h.executor.wait_first_exit({"web", "client"});
  ASSERT_TRUE(code) << code.error().str();
  EXPECT_EQ(*code, 3);  // the die before the wait began is not the answer; the kill is no exit
  code = h.executor.wait_first_exit({"client"});
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 4);
  ASSERT_TRUE(h.executor.kill({"client"}, "SIGKILL"));  // stopped already: its status at once
  code = h.executor.wait_first_exit({"client"});
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, h.engine.by_name("proj-client-1")->state.exit_code);
  EXPECT_FALSE(Harness("services:\n  a: {image: busybox}\n").executor.wait_first_exit({"a"}));  // no containers
}

TEST(Executor, PauseTakesTheRunningContainersAndUnpauseThePausedOnes) {
  Harness h(kTwo);
  ASSERT_TRUE(h.up());
  ASSERT_TRUE(h.executor.kill({"client"}, "SIGKILL"));  // exited: neither verb touches it
  h.engine.calls.clear();
  ASSERT_TRUE(h.executor.pause({"web", "client"}));
  ASSERT_TRUE(h.executor.pause({"web"}));  // already paused: nothing to do, no error
  EXPECT_EQ(h.engine.calls_starting("pause"), std::vector<std::string>{"pause proj-web-1"});
  EXPECT_EQ(h.engine.by_name("proj-web-1")->info.state, "paused");
  h.engine.calls.clear();
  ASSERT_TRUE(h.executor.unpause({"web", "client"}));
  EXPECT_EQ(h.engine.calls_starting("unpause"), std::vector<std::string>{"unpause proj-web-1"});
  EXPECT_EQ(h.engine.by_name("proj-web-1")->info.state, "running");
}

}  // namespace
}  // namespace berth::compose_ops
