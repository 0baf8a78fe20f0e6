// The container service driven through its typed API, as a second front end
// (the builder, the CRI) will drive it: no Docker JSON, fakes at every seam
// (task runtime, rootfs, networks), a real record store and volume store in a
// temporary directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "base/file.h"
#include "engine/container_record.h"
#include "engine/container_service.h"
#include "fakes.h"
#include "volume/service.h"

namespace berth::engine {
namespace {

using fakes::FakeAttacher;
using fakes::FakeRootfs;
using fakes::FakeTaskRuntime;

class ContainerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-engine-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ImageDefaults busybox;
    busybox.id = "sha256:" + std::string(64, 'b');
    busybox.defaults.cmd = std::vector<std::string>{"sh"};
    busybox.defaults.env = {"PATH=/bin"};
    busybox.defaults.labels = {{"from", "image"}};
    rootfs_.images["busybox"] = busybox;
    open_service();
  }

  void open_service(std::optional<idmap::Remap> remap = std::nullopt) {
    service_.reset();
    store_.reset();
    volumes_.reset();
    store_ = std::make_unique<metadata::ContainerStore>(*metadata::ContainerStore::open(root_ + "/metadata.db"));
    volumes_ = std::move(*volume::VolumeService::open(root_ + "/data", root_ + "/metadata.db"));
    ContainerServiceConfig cfg;
    cfg.data_root = root_ + "/data";
    cfg.exec_root = root_ + "/exec";
    cfg.log_options = {{"max-size", "10m"}, {"max-file", "3"}};
    cfg.userns_remap = remap;
    cfg.host_gateway_ip = host_gateway_ip_;
    ContainerServiceDeps deps;
    deps.store = store_.get();
    deps.rootfs = &rootfs_;
    deps.networks = &attacher_;
    deps.volumes = volumes_.get();
    deps.events = &events_;
    deps.runtimes["berth"] = &runtime_;
    deps.host.ncpus = 2;
    deps.host.hostname = "host";
    deps.host.userns_remap = remap.has_value();
    auto s = ContainerService::open(cfg, deps);
    ASSERT_TRUE(s) << s.error().str();
    service_ = std::move(*s);
  }

  void TearDown() override {
    service_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string host_gateway_ip_;  // the daemon's --host-gateway-ip (empty: the default bridge's)

  model::ContainerSpec spec(std::vector<std::string> cmd = {"true"}) {
    model::ContainerSpec s;
    s.config.image = "busybox";
    s.config.cmd = std::move(cmd);
    s.host.network_mode = *model::NetworkMode::parse("none");
    return s;
  }

  std::string create(const model::ContainerSpec& s, const std::string& name = "") {
    auto r = service_->create(name, s);
    EXPECT_TRUE(r) << r.error().str();
    return r ? r->id : "";
  }

  model::ContainerInfo info(const std::string& ref) {
    auto i = service_->inspect(ref, false);
    EXPECT_TRUE(i) << i.error().str();
    return i ? *i : model::ContainerInfo{};
  }

  // Ends the running container's process with the task's release held (its
  // monitor still cleaning up); returns once the release is under way. The
  // returned thread delivered the exit: join it after release_ended().
  std::thread exit_with_release_held(const std::string& id) {
    auto log = runtime_.log;
    {
      std::lock_guard lk(log->mu);
      log->hold_release = true;
    }
    std::thread exiter([this, id] { runtime_.exit(id, 0); });
    std::unique_lock lk(log->mu);
    log->cv.wait(lk, [&] { return log->in_release; });
    return exiter;
  }
  void release_ended() {
    std::lock_guard lk(runtime_.log->mu);
    runtime_.log->hold_release = false;
    runtime_.log->cv.notify_all();
  }

  std::string root_;
  std::unique_ptr<metadata::ContainerStore> store_;
  std::unique_ptr<volume::VolumeService> volumes_;
  Events events_;
  FakeRootfs rootfs_;
  FakeAttacher attacher_;
  FakeTaskRuntime runtime_;
  std::unique_ptr<ContainerService> service_;
};

// A monitor deletes the container's runtime state after it reported the exit:
// a start of the same container waits until the ended task is released.
TEST_F(ContainerServiceTest, AStartAfterAnExitWaitsForTheEndedTaskToBeReleased) {
  std::string id = create(spec({"sleep", "9"}));
  ASSERT_TRUE(*service_->start(id));
  auto log = runtime_.log;
  std::thread exiter = exit_with_release_held(id);
  EXPECT_FALSE(info(id).state.running);
  std::thread starter([&] { EXPECT_TRUE(service_->start(id)); });
  // The start must not reach the runtime while the release is held. A bound,
  // not an ordering: without the wait the second start comes at once.
  EXPECT_FALSE(log->wait_for_ms(300, [&] { return log->starts.size() == 2; }));
  release_ended();
  exiter.join();
  starter.join();
  std::lock_guard lk(log->mu);
  EXPECT_EQ(log->starts.size(), 2u);
  EXPECT_EQ(log->starts_during_release, 0);
}

// --rm: the removal runs while the ended task is still being released (its
// shim deleting the runtime's state), but the container is only gone, and
// its task cleaned up, once the release is done.
TEST_F(ContainerServiceTest, AutoRemoveEndsOnlyAfterTheEndedTaskIsReleased) {
  auto s = spec({"true"});
  s.host.auto_remove = true;
  std::string id = create(s);
  ASSERT_TRUE(*service_->start(id));
  auto log = runtime_.log;
  std::thread exiter = exit_with_release_held(id);
  // A bound, not an ordering: without the wait the removal ends at once.
  EXPECT_FALSE(log->wait_for_ms(300, [&] {
    return std::find(log->calls.begin(), log->calls.end(), "cleanup " + id) != log->calls.end();
  })) << "the task was cleaned up while its release was under way";
  EXPECT_TRUE(service_->inspect(id, false)) << "reported removed before the release ended";
  release_ended();
  auto removed = service_->wait(id, backend::WaitCondition::Removed, nullptr);
  exiter.join();
  EXPECT_TRUE(!removed || removed->status_code == 0);
  ASSERT_TRUE(log->wait_for([&] {
    return std::find(log->calls.begin(), log->calls.end(), "cleanup " + id) != log->calls.end();
  }));
  EXPECT_TRUE(log->released.count(id));
  EXPECT_TRUE(log->wait_for([&] { return !service_->inspect(id, false); }));
}

TEST_F(ContainerServiceTest, CreateStartWaitRemoveWithoutDockerJson) {
  std::string id = create(spec({"echo", "hi"}), "first");
  auto c = info("first");
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.path, "echo");
  EXPECT_EQ(c.args, std::vector<std::string>{"hi"});
  EXPECT_EQ(c.spec.config.labels.at("from"), "image");  // the image's defaults are merged
  EXPECT_EQ(c.state.status(c.ever_started), "created");

  ASSERT_TRUE(*service_->start(id));
  ASSERT_EQ(runtime_.log->starts.size(), 1u);
  EXPECT_EQ(runtime_.log->starts[0].id, id);
  EXPECT_EQ(info(id).state.status(true), "running");
  EXPECT_FALSE(*service_->start(id)) << "a second start of a running container is a no-op";

  std::thread exiter([&] { runtime_.exit(id, 3); });
  auto waited = service_->wait(id, backend::WaitCondition::NotRunning, nullptr);
  exiter.join();
  ASSERT_TRUE(waited);
  EXPECT_EQ(waited->status_code, 3);
  auto after = info(id);
  EXPECT_EQ(after.state.status(after.ever_started), "exited");
  EXPECT_EQ(after.state.exit_code, 3);
  EXPECT_TRUE(runtime_.log->released.count(id)) << "the task is released after its exit";

  ASSERT_TRUE(service_->remove(id, false, false));
  EXPECT_EQ(service_->inspect(id, false).error().code, Errc::NotFound);
}

TEST_F(ContainerServiceTest, TaskOperationsGoThroughTheTask) {
  std::string id = create(spec({"sleep", "1d"}));
  ASSERT_TRUE(service_->start(id));
  ASSERT_TRUE(service_->pause(id));
  EXPECT_TRUE(info(id).state.paused);
  EXPECT_EQ(service_->pause(id).error().code, Errc::Conflict);
  ASSERT_TRUE(service_->unpause(id));
  ASSERT_TRUE(service_->kill(id, "USR1"));
  ASSERT_TRUE(service_->resize(id, 24, 80));
  model::Resources r;
  r.memory = 64 << 20;
  ASSERT_TRUE(service_->update(id, r, std::nullopt));
  EXPECT_EQ(info(id).spec.host.resources.memory, 64 << 20);
  auto stats = service_->stats(id);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->current.running);
  EXPECT_EQ(stats->current.memory.usage, 4096u);
  const auto& calls = runtime_.log->calls;
  auto has = [&](const std::string& c) { return std::find(calls.begin(), calls.end(), c) != calls.end(); };
  EXPECT_TRUE(has("pause " + id));
  EXPECT_TRUE(has("resume " + id));
  EXPECT_TRUE(has("resize " + id + " 24x80"));
  EXPECT_TRUE(has("update " + id + " memory=" + std::to_string(64 << 20)));
  ASSERT_FALSE(runtime_.log->signals.empty());
  EXPECT_EQ(runtime_.log->signals.back(), std::make_pair(id, SIGUSR1));

  // stop: the stop signal, then (the fake ends the process when asked to) the exit.
  std::thread exiter([&] {
    runtime_.log->wait_for([&] { return !runtime_.log->signals.empty() && runtime_.log->signals.back().second == SIGTERM; });
    runtime_.exit(id, 143);
  });
  auto stopped = service_->stop(id, 5, "");
  exiter.join();
  ASSERT_TRUE(stopped) << stopped.error().str();
  EXPECT_EQ(info(id).state.exit_code, 143);
  EXPECT_EQ(service_->kill(id, "").error().code, Errc::Conflict) << "not running any more";
}

// docker stop and restart publish what dockerd does: a "kill" per signal sent
// (with the signal), the exit's "die", then "stop" (then "start", "restart").
TEST_F(ContainerServiceTest, StopAndRestartPublishKillDieStopAsDockerd) {
  std::string id = create(spec({"sleep", "1d"}));
  ASSERT_TRUE(service_->start(id));
  auto actions = [&] {
    std::vector<std::string> out;
    auto sub = events_.subscribe(1);
    while (auto ev = sub->next(1))
      if (ev->id == id && ev->action != "create" && ev->action != "start")
        out.push_back(ev->action + (ev->attributes.count("signal") ? ":" + ev->attributes.at("signal") : ""));
    return out;
  };
  std::thread exiter([&] {
    runtime_.log->wait_for([&] { return !runtime_.log->signals.empty() && runtime_.log->signals.back().second == SIGTERM; });
    runtime_.exit(id, 143);
  });
  ASSERT_TRUE(service_->stop(id, 5, ""));
  exiter.join();
  EXPECT_EQ(actions(), (std::vector<std::string>{"kill:15", "die", "stop"}));

  // A process that ignores the stop signal: SIGKILL after the timeout, a second "kill".
  ASSERT_TRUE(service_->start(id));
  std::thread killer([&] {
    runtime_.log->wait_for([&] { return runtime_.log->signals.back() == std::make_pair(id, SIGKILL); });
    runtime_.exit(id, 137);
  });
  ASSERT_TRUE(service_->restart(id, 1));
  killer.join();
  auto all = actions();
  std::vector<std::string> tail(all.end() - std::min<size_t>(all.size(), 5), all.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"kill:15", "kill:9", "die", "stop", "restart"}));
}

// --add-host NAME:host-gateway: the default bridge's gateway, or the daemon's
// --host-gateway-ip; an address that is neither is refused at create.
TEST_F(ContainerServiceTest, AddHostHostGatewayIsTheBridgeGatewayOrTheDaemonsSetting) {
  auto s = spec();
  s.host.extra_hosts = {"host.docker.internal:host-gateway", "x=10.1.2.3"};
  std::string id = create(s);
  ASSERT_TRUE(service_->start(id));
  auto hosts = read_file(info(id).hosts_path);
  ASSERT_TRUE(hosts);
  EXPECT_NE(hosts->find("172.30.0.1\thost.docker.internal\n"), std::string::npos) << *hosts;
  EXPECT_NE(hosts->find("10.1.2.3\tx\n"), std::string::npos) << *hosts;

  host_gateway_ip_ = "192.0.2.9";
  open_service();
  std::string other = create(s);
  ASSERT_TRUE(service_->start(other));
  hosts = read_file(info(other).hosts_path);
  ASSERT_TRUE(hosts);
  EXPECT_NE(hosts->find("192.0.2.9\thost.docker.internal\n"), std::string::npos) << *hosts;

  auto bad = spec();
  bad.host.extra_hosts = {"h:host-gatewayy"};
  auto r = service_->create("", bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "invalid IP address in add-host: \"host-gatewayy\"");
}

TEST_F(ContainerServiceTest, ExitBeforeTheStartIsRecordedIsNotLost) {
  std::string id = create(spec());
  runtime_.exit_during_start = 7;
  ASSERT_TRUE(service_->start(id));
  auto c = info(id);
  EXPECT_FALSE(c.state.running);
  EXPECT_EQ(c.state.exit_code, 7);
}

TEST_F(ContainerServiceTest, FailedStartRecordsTheCommandsExitStatus) {
  std::string id = create(spec({"/nope"}));
  runtime_.fail_next_start = Error{Errc::NotFound, ENOENT, "exec: \"/nope\": executable file not found"};
  auto r = service_->start(id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(info(id).state.exit_code, 127);
  runtime_.fail_next_start = Error{Errc::PermissionDenied, EACCES, "permission denied"};
  ASSERT_FALSE(service_->start(id));
  EXPECT_EQ(info(id).state.exit_code, 126);
}

TEST_F(ContainerServiceTest, UnknownRuntimeIsRefused) {
  auto s = spec();
  s.host.runtime = "no-such-runtime";
  auto r = service_->create("", s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().message, "unknown or invalid runtime name: no-such-runtime");
  EXPECT_EQ(service_->runtime_names(), std::vector<std::string>{"berth"});
}

TEST_F(ContainerServiceTest, LogOptionsAreHonouredAndValidated) {
  auto s = spec();
  s.host.log_config.options = {{"max-size", "200m"}, {"max-file", "5"}};
  std::string id = create(s);
  auto c = info(id);
  EXPECT_EQ(c.spec.host.log_config.driver, "json-file");
  EXPECT_EQ(c.spec.host.log_config.options.at("max-size"), "200m");
  EXPECT_EQ(c.spec.host.log_config.options.at("max-file"), "5");
  ASSERT_TRUE(service_->start(id));
  EXPECT_EQ(runtime_.log->starts.back().log.options.at("max-size"), "200m");
  runtime_.exit(id, 0);

  auto bad = spec();
  bad.host.log_config.options = {{"max-sise", "1m"}};
  auto r = service_->create("", bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("max-sise"), std::string::npos) << r.error().message;
  bad = spec();
  bad.host.log_config.driver = "syslogg";
  r = service_->create("", bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("syslogg"), std::string::npos) << r.error().message;
}

TEST_F(ContainerServiceTest, RestartPolicyRulesAreChecked) {
  auto s = spec();
  s.host.restart_policy = {model::RestartPolicyName::OnFailure, -1};
  auto r = service_->create("", s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "maximum retry count cannot be negative");
  s.host.restart_policy = {model::RestartPolicyName::Always, 3};
  EXPECT_FALSE(service_->create("", s));
}

TEST_F(ContainerServiceTest, OnFailurePolicyRestartsThroughTheRuntime) {
  auto s = spec({"false"});
  s.host.restart_policy = {model::RestartPolicyName::OnFailure, 2};
  std::string id = create(s);
  ASSERT_TRUE(service_->start(id));
  runtime_.exit(id, 1);
  ASSERT_TRUE(runtime_.log->wait_for([&] { return runtime_.log->starts.size() == 2 && runtime_.log->listeners.count(id); }));
  EXPECT_EQ(info(id).restart_count, 1);
  runtime_.exit(id, 1);
  ASSERT_TRUE(runtime_.log->wait_for([&] { return runtime_.log->starts.size() == 3 && runtime_.log->listeners.count(id); }));
  runtime_.exit(id, 1);  // the third failure: the policy's two retries are used up
  auto waited = service_->wait(id, backend::WaitCondition::NotRunning, nullptr);
  EXPECT_EQ(waited->status_code, 1);
  EXPECT_EQ(info(id).restart_count, 2);
}

TEST_F(ContainerServiceTest, ParallelCreatesOfOneNameBindItToTheWinner) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::string> winners;
  int conflicts = 0;
  for (int i = 0; i < 10; ++i)
    threads.emplace_back([&] {
      auto r = service_->create("same", spec());
      std::lock_guard lk(mu);
      if (r) winners.push_back(r->id);
      else if (r.error().code == Errc::Conflict) ++conflicts;
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(winners.size(), 1u);
  EXPECT_EQ(conflicts, 9);
  EXPECT_EQ(info("same").id, winners[0]);
  model::ListOptions o;
  o.all = true;
  o.filters["name"] = {"same"};
  auto listed = service_->list(o);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, winners[0]);
  // The losers left no snapshot behind.
  int prepared = 0, removed = 0;
  for (const auto& c : rootfs_.calls) prepared += c.rfind("prepare", 0) == 0, removed += c.rfind("remove", 0) == 0;
  EXPECT_EQ(prepared - removed, 1);
  // And after a reopen the name still leads to the winner.
  open_service();
  EXPECT_EQ(info("same").id, winners[0]);
}

TEST_F(ContainerServiceTest, RecordsSurviveAReopenTyped) {
  auto s = spec({"sh", "-c", "echo a; echo b"});
  s.config.labels = {{"k", "v"}};
  s.host.restart_policy = {model::RestartPolicyName::UnlessStopped, 0};
  s.host.resources.memory = 32 << 20;
  std::string id = create(s, "kept");
  open_service();
  auto c = info("kept");
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.spec.config.labels.at("k"), "v");
  EXPECT_EQ(c.spec.host.restart_policy.name, model::RestartPolicyName::UnlessStopped);
  EXPECT_EQ(c.spec.host.resources.memory, 32 << 20);
  EXPECT_EQ(c.args, (std::vector<std::string>{"-c", "echo a; echo b"}));
}

TEST_F(ContainerServiceTest, ExecRunsAsAProcessOfTheTask) {
  std::string id = create(spec({"sleep", "1d"}));
  ASSERT_TRUE(service_->start(id));
  model::ExecSpec e;
  e.cmd = {"ls", "/"};
  auto exec_id = service_->exec_create(id, e);
  ASSERT_TRUE(exec_id);
  ASSERT_TRUE(service_->exec_start(*exec_id, true, std::nullopt, UniqueFd(), ""));
  auto running = service_->exec_inspect(*exec_id);
  EXPECT_TRUE(running->running);
  EXPECT_EQ(running->pid, 4242);
  runtime_.exit_exec(*exec_id, 2);
  auto done = service_->exec_inspect(*exec_id);
  EXPECT_FALSE(done->running);
  EXPECT_EQ(done->exit_code, 2);
  EXPECT_EQ(service_->exec_start(*exec_id, true, std::nullopt, UniqueFd(), "").error().code, Errc::Conflict);
}

TEST_F(ContainerServiceTest, PruneAppliesLabelFilters) {
  auto keep = spec();
  keep.config.labels = {{"keep", "yes"}};
  std::string kept = create(keep);
  std::string gone = create(spec());
  model::Filters f;
  f["label!"] = {"keep"};
  auto report = service_->prune(f);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->deleted, std::vector<std::string>{gone});
  EXPECT_TRUE(service_->inspect(kept, false));
  f = {{"label", {"keep=yes"}}};
  report = service_->prune(f);
  EXPECT_EQ(report->deleted, std::vector<std::string>{kept});
  EXPECT_EQ(service_->prune({{"bogus", {"x"}}}).error().code, Errc::InvalidArgument);
}

TEST_F(ContainerServiceTest, CommitPausesThroughTheTaskAndMergesTheConfig) {
  std::string id = create(spec({"sleep", "1d"}));
  ASSERT_TRUE(service_->start(id));
  backend::CommitRequest req;
  req.container = id;
  req.repo = "mine";
  req.tag = "v1";
  model::ContainerConfig over;
  over.env = {"A=1"};
  req.config = over;
  auto image = service_->commit(req);
  ASSERT_TRUE(image) << image.error().str();
  EXPECT_EQ(*image, "sha256:committed");
  EXPECT_EQ(rootfs_.last_commit.reference, "docker.io/library/mine:v1");
  EXPECT_EQ(rootfs_.last_commit.config.env.front(), "A=1");
  const auto& calls = runtime_.log->calls;
  EXPECT_NE(std::find(calls.begin(), calls.end(), "pause " + id), calls.end());
  EXPECT_NE(std::find(calls.begin(), calls.end(), "resume " + id), calls.end());
}

TEST(ContainerRecord, Version1RecordsMigrate) {
  nlohmann::json v1 = {
      {"Version", 1},
      {"ID", std::string(64, 'a')},
      {"Name", "/old"},
      {"Created", "2026-11-30T10:00:00.000000001Z"},
      {"Image", "busybox"},
      {"ImageID", "sha256:" + std::string(64, 'b')},
      {"Path", "sh"},
      {"Args", {"-c", "true"}},
      {"Config", {{"Image", "busybox"}, {"Cmd", {"sh", "-c", "true"}}, {"Labels", {{"a", "b"}}}, {"Tty", true}}},
      {"HostConfig",
       {{"NetworkMode", "bridge"},
        {"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 2}}},
        {"Memory", 1 << 24},
        {"Devices", {{{"PathOnHost", "/dev/fuse"}}}}}},  // never honoured by 0.1: dropped
      {"State", {{"Running", false}, {"ExitCode", 3}, {"FinishedAt", "2026-11-30T10:00:01Z"}}},
      {"EverStarted", true},
      {"NetworkRequests", {{{"Name", "bridge"}, {"Aliases", nlohmann::json::array()}, {"IPv4Address", ""}}}},
      {"Endpoints", nlohmann::json::object()},
      {"Published", nlohmann::json::object()},
      {"MountPlans", {{{"Type", "volume"}, {"Source", "data"}, {"Destination", "/data"}, {"Anonymous", false}}}}};
  auto loaded = record_from_json(v1.dump());
  ASSERT_TRUE(loaded) << loaded.error().str();
  EXPECT_TRUE(loaded->migrated);
  const auto& r = loaded->record;
  EXPECT_EQ(r.name, "/old");
  EXPECT_EQ(r.runtime, "berth");
  EXPECT_TRUE(r.spec.config.tty);
  EXPECT_EQ(r.spec.config.labels.at("a"), "b");
  EXPECT_EQ(r.spec.host.network_mode.kind, model::NetworkMode::Kind::Bridge);
  EXPECT_EQ(r.spec.host.restart_policy.name, model::RestartPolicyName::OnFailure);
  EXPECT_EQ(r.spec.host.restart_policy.max_retries, 2);
  EXPECT_EQ(r.spec.host.resources.memory, 1 << 24);
  EXPECT_EQ(r.state.exit_code, 3);
  ASSERT_EQ(r.mounts.size(), 1u);
  EXPECT_EQ(r.mounts[0].type, model::MountType::Volume);
  EXPECT_EQ(r.mounts[0].destination, "/data");
  ASSERT_EQ(r.networks.size(), 1u);
  EXPECT_EQ(r.networks[0].name, "bridge");

  // Stored again, it reads back as the current version unchanged.
  auto again = record_from_json(record_to_json(r).dump());
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->migrated);
  EXPECT_EQ(again->record.spec, r.spec);
  EXPECT_EQ(again->record.mounts, r.mounts);
}

// What a running container's record holds (its endpoints, published ports,
// mounts) comes back whole when berthd starts again: live restore needs it.
TEST(ContainerRecord, StoredRecordsReadBackWithTheirEndpoints) {
  ContainerRecord r;
  r.id = std::string(64, 'c');
  r.name = "/web";
  r.created = "2026-12-06T10:00:00Z";
  r.path = "sleep";
  r.args = {"300"};
  r.runtime = "berth";
  r.spec.config.image = "busybox";
  r.state.running = true;
  r.state.pid = 42;
  r.networks.push_back({"bridge", {"web"}, ""});
  Endpoint ep;
  ep.network_id = "n1";
  ep.network_name = "bridge";
  ep.endpoint_id = "e1";
  ep.ip = "172.17.0.2";
  ep.prefix = 16;
  ep.gateway = "172.17.0.1";
  ep.host_veth = "veth1";
  ep.aliases = {"web"};
  r.endpoints["bridge"] = ep;
  auto loaded = record_from_json(record_to_json(r).dump());
  ASSERT_TRUE(loaded) << loaded.error().str();
  EXPECT_FALSE(loaded->migrated);
  const auto& back = loaded->record;
  EXPECT_EQ(back.id, r.id);
  EXPECT_TRUE(back.state.running);
  EXPECT_EQ(back.state.pid, 42);
  ASSERT_EQ(back.endpoints.count("bridge"), 1u);
  EXPECT_EQ(back.endpoints.at("bridge").ip, "172.17.0.2");
  EXPECT_EQ(back.endpoints.at("bridge").host_veth, "veth1");
  EXPECT_EQ(back.endpoints.at("bridge").aliases, std::vector<std::string>{"web"});
  ASSERT_EQ(back.networks.size(), 1u);
  EXPECT_EQ(back.networks[0].aliases, std::vector<std::string>{"web"});
}

TEST(ContainerRecord, NewerOrCorruptRecordsAreRefusedWithTheReason) {
  auto newer = record_from_json(R"({"SchemaVersion": 99})");
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, Errc::Unsupported);
  auto corrupt = record_from_json(R"({"SchemaVersion": 2, "Id": 5})");
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, Errc::InvalidArgument);
  EXPECT_FALSE(record_from_json("not json"));
}

// --mac-address: the container-wide MAC (API clients before 1.44) is the main
// network's; an endpoint's own must then agree; none for host, none or
// container modes. The request is kept in the record and shown before start.
TEST_F(ContainerServiceTest, MacAddressesGoToTheMainNetwork) {
  auto s = spec();
  s.host.network_mode = *model::NetworkMode::parse("appnet");
  s.config.mac_address = "02:00:00:00:00:01";
  s.endpoints["appnet"].aliases = {"web"};
  std::string id = create(s);
  open_service();  // from the record
  auto nets = info(id).network.networks;
  ASSERT_EQ(nets.size(), 1u);
  EXPECT_EQ(nets[0].second.mac_address, "02:00:00:00:00:01");
  EXPECT_EQ(nets[0].second.aliases, std::vector<std::string>{"web"});

  s.endpoints["appnet"].mac_address = "02:00:00:00:00:02";
  auto mismatch = service_->create("", s);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, Errc::InvalidArgument);
  EXPECT_EQ(mismatch.error().message,
            "the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be "
            "left empty");
  s.config.mac_address.clear();
  EXPECT_EQ(info(create(s)).network.networks.at(0).second.mac_address, "02:00:00:00:00:02");

  for (const char* mode : {"host", "none"}) {
    auto other = spec();
    other.host.network_mode = *model::NetworkMode::parse(mode);
    other.config.mac_address = "02:00:00:00:00:03";
    auto refused = service_->create("", other);
    ASSERT_FALSE(refused) << mode;
    EXPECT_EQ(refused.error().message, "conflicting options: mac-address and the network mode") << mode;
  }
}

TEST_F(ContainerServiceTest, TheHostsUtsNamespaceSetsNoHostname) {
  auto s = spec();
  s.host.network_mode = *model::NetworkMode::parse("host");
  s.host.uts_mode = *model::NamespaceMode::parse("host", model::NamespaceMode::Of::Uts);
  std::string id = create(s);
  EXPECT_EQ(info(id).spec.config.hostname, "");
  auto started = service_->start(id);
  ASSERT_TRUE(started) << started.error().str();
  auto text = read_file(runtime_.log->starts.back().bundle + "/config.json");
  ASSERT_TRUE(text);
  auto oci = nlohmann::json::parse(*text);
  EXPECT_FALSE(oci.contains("hostname"));
  for (const auto& n : oci["linux"]["namespaces"]) EXPECT_NE(n["type"], "uts");
}

// userns-remap: the remapped mount, the mappings in config.json, the /etc
// files given to the remapped root; --userns=host opts out; refusals.
TEST_F(ContainerServiceTest, UsernsRemapMapsContainersUnlessUsernsHost) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the /etc files are chowned to the remapped root";
  idmap::Remap remap;
  remap.user = remap.group = "berthremap";
  remap.uids = {{0, 200000, 65536}};
  remap.gids = {{0, 300000, 65536}};
  open_service(remap);
  std::string id = create(spec());
  auto started = service_->start(id);
  ASSERT_TRUE(started) << started.error().str();
  EXPECT_NE(std::find(rootfs_.calls.begin(), rootfs_.calls.end(), "mount_remapped " + id), rootfs_.calls.end());
  auto oci = nlohmann::json::parse(*read_file(runtime_.log->starts.back().bundle + "/config.json"));
  EXPECT_EQ(oci["linux"]["namespaces"][0], nlohmann::json({{"type", "user"}}));
  EXPECT_EQ(oci["linux"]["uidMappings"], nlohmann::json::parse(R"([{"containerID":0,"hostID":200000,"size":65536}])"));
  EXPECT_EQ(oci["linux"]["gidMappings"], nlohmann::json::parse(R"([{"containerID":0,"hostID":300000,"size":65536}])"));
  struct stat st {};
  ASSERT_EQ(::stat(info(id).hosts_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 200000u);
  EXPECT_EQ(st.st_gid, 300000u);

  auto host = spec();
  host.host.userns_host = true;
  std::string opted_out = create(host);
  ASSERT_TRUE(service_->start(opted_out));
  auto plain = nlohmann::json::parse(*read_file(runtime_.log->starts.back().bundle + "/config.json"));
  for (const auto& n : plain["linux"]["namespaces"]) EXPECT_NE(n["type"], "user");
  EXPECT_EQ(std::find(rootfs_.calls.begin(), rootfs_.calls.end(), "mount_remapped " + opted_out), rootfs_.calls.end());

  auto privileged = spec();
  privileged.host.privileged = true;
  auto refused = service_->create("", privileged);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::InvalidArgument);
  EXPECT_NE(refused.error().message.find("privileged mode is incompatible with user namespaces"), std::string::npos);
}

}  // namespace
}  // namespace berth::engine
