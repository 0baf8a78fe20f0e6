// The planner's decisions: keep, recreate, scale numbering, orphans, levels.
#include <gtest/gtest.h>

#include "compose/labels.h"
#include "compose_ops/plan.h"
#include "fake_engine.h"

namespace berth::compose_ops {
namespace {

using testing::load;

const char* kTwo = R"(
services:
  web:
    image: busybox
    environment: {A: "1"}
  client:
    image: busybox
    depends_on: [web]
volumes:
  data: {}
)";

ContainerInfo existing(const compose::Project& p, const std::string& service, int n, const std::string& state = "running",
                       const std::string& image_id = "sha256:bb") {
  ContainerInfo c;
  c.id = fmt::format("{}-{}", service, n);
  c.name = fmt::format("proj-{}-{}", service, n);
  c.state = state;
  c.image_id = image_id;
  c.labels = compose::container_labels(p, p.services.at(service), n);
  return c;
}

std::vector<StepKind> kinds(const std::vector<ContainerStep>& steps) {
  std::vector<StepKind> out;
  for (const auto& s : steps) out.push_back(s.kind);
  return out;
}

TEST(Planner, NothingThereCreatesEverythingInDependencyLevels) {
  compose::Project p = load(kTwo);
  UpPlan plan = *plan_up(p, Observed{}, UpRequest{});
  EXPECT_EQ(plan.networks_to_create, std::vector<std::string>{"default"});
  EXPECT_EQ(plan.volumes_to_create, std::vector<std::string>{"data"});
  ASSERT_EQ(plan.levels.size(), 2u);
  EXPECT_EQ(plan.levels[0], std::vector<std::string>{"web"});
  EXPECT_EQ(plan.levels[1], std::vector<std::string>{"client"});
  ASSERT_EQ(plan.steps["web"].size(), 1u);
  EXPECT_EQ(plan.steps["web"][0].kind, StepKind::Create);
  EXPECT_EQ(plan.steps["web"][0].name, "proj-web-1");
  EXPECT_EQ(plan.steps["web"][0].number, 1);
}

TEST(Planner, SameHashKeepsRunningAndStartsStopped) {
  compose::Project p = load(kTwo);
  Observed o;
  o.containers = {existing(p, "web", 1), existing(p, "client", 1, "exited")};
  o.networks = {"proj_default"};
  o.volumes = {"proj_data"};
  o.image_ids = {{"web", "sha256:bb"}, {"client", "sha256:bb"}};
  UpPlan plan = *plan_up(p, o, UpRequest{});
  EXPECT_TRUE(plan.networks_to_create.empty());
  EXPECT_TRUE(plan.volumes_to_create.empty());
  EXPECT_EQ(kinds(plan.steps["web"]), std::vector{StepKind::Keep});
  EXPECT_EQ(kinds(plan.steps["client"]), std::vector{StepKind::Start});
  EXPECT_EQ(plan.steps["web"][0].container_id, "web-1");
}

TEST(Planner, ChangedConfigRecreatesOnlyThatService) {
  compose::Project before = load(kTwo);
  Observed o;
  o.containers = {existing(before, "web", 1), existing(before, "client", 1)};
  std::string changed = kTwo;
  changed.replace(changed.find("A: \"1\""), 6, "A: \"2\"");
  compose::Project after = load(changed);
  UpPlan plan = *plan_up(after, o, UpRequest{});
  EXPECT_EQ(kinds(plan.steps["web"]), std::vector{StepKind::Recreate});
  EXPECT_EQ(plan.steps["web"][0].name, "proj-web-1");
  EXPECT_EQ(kinds(plan.steps["client"]), std::vector{StepKind::Keep});
}

TEST(Planner, ContainersOfDockerCompose1AreRecreatedUnderCompose2Names) {
  compose::Project p = load(kTwo);
  ContainerInfo old = existing(p, "web", 1);
  old.name = "proj_web_1";  // docker-compose 1.29's name; its config hash is its own
  old.labels[compose::label::kConfigHash] = "hash-of-compose-1";
  Observed o;
  o.containers = {old};
  auto steps = plan_up(p, o, UpRequest{})->steps["web"];
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, StepKind::Recreate);
  EXPECT_EQ(steps[0].name, "proj-web-1");
  EXPECT_EQ(steps[0].container_id, "web-1");
}

TEST(Planner, ChangedImageIdRecreates) {
  compose::Project p = load(kTwo);
  Observed o;
  o.containers = {existing(p, "web", 1, "running", "sha256:old"), existing(p, "client", 1)};
  o.image_ids = {{"web", "sha256:bb"}, {"client", "sha256:bb"}};
  UpPlan plan = *plan_up(p, o, UpRequest{});
  EXPECT_EQ(kinds(plan.steps["web"]), std::vector{StepKind::Recreate});
  EXPECT_EQ(kinds(plan.steps["client"]), std::vector{StepKind::Keep});
}

TEST(Planner, ForceAndNoRecreate) {
  compose::Project p = load(kTwo);
  Observed o;
  o.containers = {existing(p, "web", 1), existing(p, "client", 1)};
  UpRequest force;
  force.recreate = Recreate::Always;
  EXPECT_EQ(kinds(plan_up(p, o, force)->steps["client"]), std::vector{StepKind::Recreate});
  std::string changed = kTwo;
  changed.replace(changed.find("A: \"1\""), 6, "A: \"2\"");
  UpRequest never;
  never.recreate = Recreate::Never;
  EXPECT_EQ(kinds(plan_up(load(changed), o, never)->steps["web"]), std::vector{StepKind::Keep});
}

TEST(Planner, ScaleUpNumbersAfterTheHighest) {
  compose::Project p = load(kTwo);
  Observed o;
  o.containers = {existing(p, "web", 1), existing(p, "web", 3)};
  UpRequest r;
  r.scale["web"] = 4;
  auto steps = plan_up(p, o, r)->steps["web"];
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(kinds(steps), (std::vector{StepKind::Keep, StepKind::Keep, StepKind::Create, StepKind::Create}));
  EXPECT_EQ(steps[2].name, "proj-web-4");
  EXPECT_EQ(steps[3].name, "proj-web-5");
}

TEST(Planner, ScaleDownRemovesObsoleteThenHighestNumbers) {
  compose::Project p = load(kTwo);
  Observed o;
  o.containers = {existing(p, "web", 3), existing(p, "web", 1), existing(p, "web", 2)};
  UpRequest r;
  r.scale["web"] = 1;
  auto steps = plan_up(p, o, r)->steps["web"];
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].kind, StepKind::Keep);
  EXPECT_EQ(steps[0].number, 1);
  EXPECT_EQ(steps[1].kind, StepKind::Remove);
  EXPECT_EQ(steps[2].kind, StepKind::Remove);
  EXPECT_EQ(steps[1].number + steps[2].number, 5);

  // An obsolete container goes before an up-to-date one with a higher number.
  o.containers[1].labels[compose::label::kConfigHash] = "stale";  // web-1
  steps = plan_up(p, o, r)->steps["web"];
  EXPECT_EQ(steps[0].kind, StepKind::Keep);
  EXPECT_EQ(steps[0].number, 2);
  EXPECT_EQ(steps[1].number, 3);
  EXPECT_EQ(steps[2].number, 1);
  EXPECT_EQ(steps[2].kind, StepKind::Remove);
}

TEST(Planner, DeployReplicasIsTheDefaultScale) {
  compose::Project p = load("services:\n  w:\n    image: busybox\n    deploy: {replicas: 3}\n");
  auto steps = plan_up(p, Observed{}, UpRequest{})->steps["w"];
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[2].name, "proj-w-3");
}

TEST(Planner, OrphansAreFoundAndOneOffsAreNot) {
  compose::Project p = load(kTwo);
  Observed o;
  ContainerInfo gone = existing(p, "web", 1);
  gone.labels[compose::label::kService] = "old";
  gone.id = "old-1";
  ContainerInfo run = existing(p, "web", 1);
  run.labels[compose::label::kOneoff] = "True";
  run.id = "run-1";
  o.containers = {gone, run};
  UpPlan plan = *plan_up(p, o, UpRequest{});
  ASSERT_EQ(plan.orphans.size(), 1u);
  EXPECT_EQ(plan.orphans[0].id, "old-1");
  EXPECT_EQ(kinds(plan.steps["web"]), std::vector{StepKind::Create});  // the one-off is not web's
}

TEST(Planner, NamedServicesBringTheirDependencies) {
  compose::Project p = load(kTwo);
  UpRequest r;
  r.services = {"client"};
  UpPlan plan = *plan_up(p, Observed{}, r);
  EXPECT_EQ(plan.levels.size(), 2u);
  r.with_dependencies = false;
  plan = *plan_up(p, Observed{}, r);
  ASSERT_EQ(plan.levels.size(), 1u);
  EXPECT_EQ(plan.levels[0], std::vector<std::string>{"client"});
  EXPECT_FALSE(plan.steps.contains("web"));
  r.services = {"nope"};
  auto bad = plan_up(p, Observed{}, r);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "no such service: nope");
}

TEST(Planner, IndependentServicesShareALevel) {
  compose::Project p = load(R"(
services:
  a: {image: busybox}
  b: {image: busybox}
  c: {image: busybox, depends_on: [a, b]}
  d: {image: busybox, depends_on: [c]}
  e: {image: busybox}
)");
  UpPlan plan = *plan_up(p, Observed{}, UpRequest{});
  ASSERT_EQ(plan.levels.size(), 3u);
  EXPECT_EQ(plan.levels[0], (std::vector<std::string>{"a", "b", "e"}));
  EXPECT_EQ(plan.levels[1], std::vector<std::string>{"c"});
  EXPECT_EQ(plan.levels[2], std::vector<std::string>{"d"});
}

TEST(Planner, DownStopsDependentsFirstAndTakesOneOffs) {
  compose::Project p = load(kTwo);
  Observed o;
  ContainerInfo run = existing(p, "web", 1);
  run.id = "run-1";
  run.labels[compose::label::kOneoff] = "True";
  ContainerInfo orphan = existing(p, "web", 1);
  orphan.id = "orphan";
  orphan.labels[compose::label::kService] = "gone";
  o.containers = {existing(p, "web", 1), existing(p, "client", 1), run, orphan};
  o.networks = {"proj_default"};
  o.volumes = {"proj_data"};
  DownPlan plan = *plan_down(p, o, DownRequest{});
  ASSERT_EQ(plan.levels.size(), 2u);
  EXPECT_EQ(plan.levels[0][0].id, "client-1");
  EXPECT_EQ(plan.levels[1].size(), 2u);  // web-1 and its one-off
  EXPECT_EQ(plan.orphans_left.size(), 1u);
  EXPECT_EQ(plan.networks, std::vector<std::string>{"proj_default"});
  EXPECT_TRUE(plan.volumes.empty());

  DownRequest all{.remove_orphans = true, .volumes = true, .remove_images = "all"};
  plan = *plan_down(p, o, all);
  ASSERT_EQ(plan.levels.size(), 3u);
  EXPECT_EQ(plan.levels[0][0].id, "orphan");
  EXPECT_EQ(plan.volumes, std::vector<std::string>{"proj_data"});
  EXPECT_EQ(plan.images, std::vector<std::string>{"busybox"});
}

TEST(Planner, RmiLocalTakesOnlyBuiltImages) {
  compose::Project p = load("services:\n  app:\n    build: .\n  db:\n    image: busybox\n");
  DownPlan plan = *plan_down(p, Observed{}, DownRequest{.remove_images = "local"});
  EXPECT_EQ(plan.images, std::vector<std::string>{"proj-app"});
}

}  // namespace
}  // namespace berth::compose_ops
