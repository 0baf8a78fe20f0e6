// Healthchecks through the container service, with fakes at its seams and
// the scheduler on a manual clock: a start resets State.Health, a probe is
// an exec of the task (with Docker's exec_* events), its result lands in
// inspect and the record, a status change is a health_status event, stop
// cancels the schedule, and on-unhealthy restarts the container.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/container_service.h"
#include "engine/health/rules.h"
#include "fakes.h"
#include "manual_timers.h"
#include "volume/service.h"

namespace berth::engine {
namespace {

constexpr int64_t S = health::kSecond;

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-health-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ImageDefaults busybox;
    busybox.id = "sha256:" + std::string(64, 'b');
    busybox.defaults.cmd = std::vector<std::string>{"sh"};
    rootfs_.images["busybox"] = busybox;
    store_ = std::make_unique<metadata::ContainerStore>(*metadata::ContainerStore::open(root_ + "/metadata.db"));
    volumes_ = std::move(*volume::VolumeService::open(root_ + "/data", root_ + "/metadata.db"));
    ContainerServiceConfig cfg;
    cfg.data_root = root_ + "/data";
    cfg.exec_root = root_ + "/exec";
    ContainerServiceDeps deps;
    deps.store = store_.get();
    deps.rootfs = &rootfs_;
    deps.networks = &attacher_;
    deps.volumes = volumes_.get();
    deps.events = &events_;
    deps.runtimes["berth"] = &runtime_;
    deps.host.ncpus = 2;
    deps.health_timers = &timers_;
    auto s = ContainerService::open(cfg, deps);
    ASSERT_TRUE(s) << s.error().str();
    service_ = std::move(*s);
    events_sub_ = events_.subscribe(std::nullopt);
  }
  void TearDown() override {
    service_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string create(model::Healthcheck hc, model::RestartPolicy policy = {}) {
    model::ContainerSpec s;
    s.config.image = "busybox";
    s.config.cmd = std::vector<std::string>{"sleep", "9"};
    s.config.healthcheck = std::move(hc);
    s.host.network_mode = *model::NetworkMode::parse("none");
    s.host.restart_policy = policy;
    auto r = service_->create("", s);
    EXPECT_TRUE(r) << r.error().str();
    return r ? r->id : "";
  }
  model::ContainerInfo info(const std::string& id) { return *service_->inspect(id, false); }
  // The exec ids the fake task was asked to run, in order.
  std::vector<std::string> execs() {
    std::vector<std::string> out;
    std::lock_guard lk(runtime_.log->mu);
    for (const auto& [id, l] : runtime_.log->exec_listeners) out.push_back(id);
    return out;
  }
  std::vector<std::string> actions() {
    std::vector<std::string> out;
    while (auto e = events_sub_->next(1)) out.push_back(e->action);
    return out;
  }

  std::string root_;
  std::unique_ptr<metadata::ContainerStore> store_;
  std::unique_ptr<volume::VolumeService> volumes_;
  Events events_;
  fakes::FakeRootfs rootfs_;
  fakes::FakeAttacher attacher_;
  fakes::FakeTaskRuntime runtime_;
  health::fakes::ManualTimers timers_;
  std::unique_ptr<ContainerService> service_;
  std::unique_ptr<backend::EventSubscription> events_sub_;
};

TEST_F(HealthServiceTest, AProbeIsAnExecAndItsResultIsStateHealth) {
  std::string id = create({{"CMD-SHELL", "check"}, S, 10 * S, 0, 0, 1});
  EXPECT_FALSE(info(id).state.health);  // created, never started
  ASSERT_TRUE(*service_->start(id));
  ASSERT_TRUE(info(id).state.health);
  EXPECT_EQ(info(id).state.health->status, model::HealthStatus::Starting);
  timers_.advance_to(S);
  auto ids = execs();
  ASSERT_EQ(ids.size(), 1u);
  {
    std::lock_guard lk(runtime_.log->mu);
    EXPECT_NE(std::find(runtime_.log->calls.begin(), runtime_.log->calls.end(), "exec " + id + " /bin/sh"),
              runtime_.log->calls.end());
  }
  std::shared_ptr<task::ProcessListener> l;
  {
    std::lock_guard lk(runtime_.log->mu);
    l = runtime_.log->exec_listeners.at(ids[0]);
  }
  l->on_output(task::Stream::Stdout, "fine\n");
  runtime_.exit_exec(ids[0], 0);
  auto h = info(id).state.health;
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, model::HealthStatus::Healthy);
  ASSERT_EQ(h->log.size(), 1u);
  EXPECT_EQ(h->log[0].output, "fine\n");
  EXPECT_EQ(info(id).exec_ids.size(), 0u);  // the probe's session is gone
  auto a = actions();
  auto has = [&](const std::string& x) { return std::find(a.begin(), a.end(), x) != a.end(); };
  EXPECT_TRUE(has("exec_create: /bin/sh -c check"));
  EXPECT_TRUE(has("exec_start: /bin/sh -c check"));
  EXPECT_TRUE(has("exec_die"));
  EXPECT_TRUE(has("health_status: healthy"));

  // Stopped: nothing stays armed; the health is kept for inspect.
  runtime_.exit(id, 0);
  EXPECT_EQ(timers_.pending(), 0u);
  EXPECT_EQ(info(id).state.health->status, model::HealthStatus::Healthy);
  // Started again: starting, streak 0, the log kept.
  ASSERT_TRUE(*service_->start(id));
  EXPECT_EQ(info(id).state.health->status, model::HealthStatus::Starting);
  EXPECT_EQ(info(id).state.health->log.size(), 1u);
}

TEST_F(HealthServiceTest, NoneAndNoHealthcheckMeanNoHealth) {
  std::string id = create({{"NONE"}});
  ASSERT_TRUE(*service_->start(id));
  EXPECT_FALSE(info(id).state.health);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(HealthServiceTest, OnUnhealthyRestartsTheContainer) {
  std::string id = create({{"CMD", "check"}, S, 10 * S, 0, 0, 1}, {model::RestartPolicyName::OnUnhealthy, 0});
  ASSERT_TRUE(*service_->start(id));
  timers_.advance_to(S);
  auto ids = execs();
  ASSERT_EQ(ids.size(), 1u);
  runtime_.exit_exec(ids[0], 1);
  EXPECT_EQ(info(id).state.health->status, model::HealthStatus::Unhealthy);
  // The restart runs on its own thread: it signals the task, which the fake ends.
  ASSERT_TRUE(runtime_.log->wait_for([&] {
    for (const auto& [cid, sig] : runtime_.log->signals)
      if (cid == id && sig == SIGTERM) return true;
    return false;
  }));
  runtime_.exit(id, 143);
  ASSERT_TRUE(runtime_.log->wait_for([&] { return runtime_.log->starts.size() >= 2; }));
  // The restart event is the restarting thread's last use of the service; inspect
  // takes the lock it published under, so the thread is done with it after.
  bool restarted = false;
  for (int i = 0; i < 1000 && !restarted; ++i) {
    auto a = actions();
    restarted = std::find(a.begin(), a.end(), "restart") != a.end();
    if (!restarted) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // paces a bounded poll
  }
  ASSERT_TRUE(restarted);
  auto c = info(id);
  EXPECT_TRUE(c.state.running);
  EXPECT_EQ(c.restart_count, 1);
  EXPECT_EQ(c.state.health->status, model::HealthStatus::Starting);
}

}  // namespace
}  // namespace berth::engine
