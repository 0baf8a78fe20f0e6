// CRI containers through PodService over the real ContainerService: created
// in a pod, joining its namespaces by path, started, listed, stopped and
// removed; kept out of Docker's list.
#include "base/file.h"
#include "pods_fixture.h"

namespace berth::cri::testing {
namespace {

std::map<std::string, std::string> namespace_paths(const nlohmann::json& spec) {
  std::map<std::string, std::string> out;
  for (const auto& n : spec["linux"]["namespaces"]) out[n["type"]] = n.value("path", "");
  return out;
}

const nlohmann::json* mount_at(const nlohmann::json& spec, const std::string& dest) {
  for (const auto& m : spec["mounts"])
    if (m["destination"] == dest) return &m;
  return nullptr;
}

TEST_F(PodsTest, TwoContainersShareThePodsNamespacesAndFiles) {
  std::string pod = run_pod(pod_config());
  std::string dir = root_ + "/cri-state/pods/" + pod;
  std::string server = create_container(pod, container_config("server"));
  std::string client = create_container(pod, container_config("client"));
  ASSERT_FALSE(server.empty());
  ASSERT_FALSE(client.empty());
  EXPECT_EQ(status_of(server).state(), rt::CONTAINER_CREATED);
  ASSERT_TRUE(start(server).ok());
  ASSERT_TRUE(start(client).ok());
  EXPECT_TRUE(start(client).ok()) << "a second start of a running container is fine";

  ASSERT_EQ(runtime_.log->starts.size(), 2u);
  for (const auto& req : runtime_.log->starts) {
    auto spec = nlohmann::json::parse(read_file(req.bundle + "/config.json").value_or("{}"));
    auto ns = namespace_paths(spec);
    EXPECT_EQ(ns["network"], dir + "/net");
    EXPECT_EQ(ns["ipc"], dir + "/ipc");
    EXPECT_EQ(ns["uts"], dir + "/uts");
    EXPECT_EQ(ns["pid"], "") << "its own PID namespace";
    EXPECT_FALSE(spec.contains("hostname")) << "the pod's UTS namespace has it";
    EXPECT_EQ(spec["linux"]["cgroupsPath"], "/kubepods/poduid-1/" + req.id);
    ASSERT_TRUE(mount_at(spec, "/etc/resolv.conf"));
    EXPECT_EQ((*mount_at(spec, "/etc/resolv.conf"))["source"], dir + "/resolv.conf");
    EXPECT_EQ((*mount_at(spec, "/etc/hosts"))["source"], dir + "/hosts");
    EXPECT_EQ((*mount_at(spec, "/dev/shm"))["source"], dir + "/shm");
    // Kubernetes semantics: args replace the image's cmd, its entrypoint stays.
    EXPECT_EQ(spec["process"]["args"], nlohmann::json({"/entry", "serve"}));
    EXPECT_EQ(req.log.driver, "cri");
  }
  std::set<std::string> logs;
  for (const auto& req : runtime_.log->starts) logs.insert(req.log.path);
  EXPECT_EQ(logs, (std::set<std::string>{"/var/log/pods/default_web_uid-1/server/0.log",
                                         "/var/log/pods/default_web_uid-1/client/0.log"}));

  auto st = status_of(server);
  EXPECT_EQ(st.state(), rt::CONTAINER_RUNNING);
  EXPECT_EQ(st.metadata().name(), "server");
  EXPECT_EQ(st.image().image(), "busybox");
  EXPECT_EQ(st.image_ref(), "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(st.labels().at("io.kubernetes.container.name"), "server");
  EXPECT_EQ(st.labels().count("from"), 0u) << "the image's labels are not the kubelet's";
  EXPECT_EQ(st.annotations().at("io.kubernetes.container.restartCount"), "0");
  EXPECT_EQ(st.log_path(), "/var/log/pods/default_web_uid-1/server/0.log");
  EXPECT_GT(st.started_at(), 0);

  // Docker's list does not show them; the namespace filter does.
  model::ListOptions docker;
  docker.all = true;
  EXPECT_TRUE(containers_->list(docker)->empty());
  docker.filters["namespace"] = {"k8s.io"};
  EXPECT_EQ(containers_->list(docker)->size(), 2u);
  auto info = containers_->inspect(server, false);
  EXPECT_EQ(info->name, "/k8s_server_web_default_uid-1_0");

  // Stop: the stop signal, SIGKILL after the timeout; the exit is recorded.
  auto exiter = exit_on_kill(server, 0);
  rt::StopContainerRequest stop;
  stop.set_container_id(server);
  stop.set_timeout(0);
  rt::StopContainerResponse sr;
  ASSERT_TRUE(pods_->StopContainer(stop, &sr).ok());
  exiter.join();
  st = status_of(server);
  EXPECT_EQ(st.state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(st.reason(), "Completed");
  EXPECT_GT(st.finished_at(), 0);
  EXPECT_EQ(start(server).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // ListContainers filters.
  auto ids = [&](const rt::ListContainersRequest& req) {
    rt::ListContainersResponse resp;
    EXPECT_TRUE(pods_->ListContainers(req, &resp).ok());
    std::set<std::string> out;
    for (const auto& c : resp.containers()) out.insert(c.id());
    return out;
  };
  EXPECT_EQ(ids({}), (std::set<std::string>{server, client}));
  rt::ListContainersRequest lreq;
  lreq.mutable_filter()->mutable_state()->set_state(rt::CONTAINER_RUNNING);
  EXPECT_EQ(ids(lreq), std::set<std::string>{client});
  lreq.Clear();
  (*lreq.mutable_filter()->mutable_label_selector())["io.kubernetes.container.name"] = "server";
  EXPECT_EQ(ids(lreq), std::set<std::string>{server});
  lreq.Clear();
  lreq.mutable_filter()->set_pod_sandbox_id(pod.substr(0, 8));
  EXPECT_EQ(ids(lreq).size(), 2u);
  lreq.mutable_filter()->set_pod_sandbox_id("ffff");
  EXPECT_TRUE(ids(lreq).empty());

  // Stopping and removing the pod takes its containers.
  auto client_exit = exit_on_kill(client);
  rt::StopPodSandboxRequest pstop;
  pstop.set_pod_sandbox_id(pod);
  rt::StopPodSandboxResponse psr;
  ASSERT_TRUE(pods_->StopPodSandbox(pstop, &psr).ok());
  client_exit.join();
  EXPECT_EQ(status_of(client).state(), rt::CONTAINER_EXITED);
  EXPECT_EQ(status_of(client).reason(), "Error");
  rt::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(pod);
  rt::RemovePodSandboxResponse rr;
  ASSERT_TRUE(pods_->RemovePodSandbox(rm, &rr).ok());
  EXPECT_TRUE(ids({}).empty());
  docker.filters["namespace"] = {"k8s.io"};
  EXPECT_TRUE(containers_->list(docker)->empty());
}

TEST_F(PodsTest, CreateNeedsAReadyPodAndAnImage) {
  create_container("no-such-pod", container_config("x"), grpc::StatusCode::NOT_FOUND);
  std::string pod = run_pod(pod_config());
  auto c = container_config("x");
  c.mutable_image()->set_image("missing:1");
  create_container(pod, c, grpc::StatusCode::NOT_FOUND);
  c = container_config("x");
  c.mutable_metadata()->clear_name();
  create_container(pod, c, grpc::StatusCode::INVALID_ARGUMENT);
  std::string first = create_container(pod, container_config("x"));
  create_container(pod, container_config("x"), grpc::StatusCode::ALREADY_EXISTS);
  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  rt::StopPodSandboxResponse sr;
  ASSERT_TRUE(pods_->StopPodSandbox(stop, &sr).ok());
  create_container(pod, container_config("y"), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(start(first).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(PodsTest, RemoveContainerIsIdempotentAndDockerContainersAreNotTheCris) {
  std::string pod = run_pod(pod_config());
  std::string id = create_container(pod, container_config("x"));
  rt::RemoveContainerRequest rm;
  rm.set_container_id(id);
  rt::RemoveContainerResponse rr;
  ASSERT_TRUE(pods_->RemoveContainer(rm, &rr).ok());
  ASSERT_TRUE(pods_->RemoveContainer(rm, &rr).ok());

  model::ContainerSpec docker;
  docker.config.image = "busybox";
  docker.host.network_mode = *model::NetworkMode::parse("none");
  auto made = containers_->create("plain", docker);
  ASSERT_TRUE(made);
  rt::ContainerStatusRequest sreq;
  sreq.set_container_id(made->id);
  rt::ContainerStatusResponse sresp;
  EXPECT_EQ(pods_->ContainerStatus(sreq, &sresp).error_code(), grpc::StatusCode::NOT_FOUND);
  rt::ListContainersResponse list;
  ASSERT_TRUE(pods_->ListContainers({}, &list).ok());
  EXPECT_EQ(list.containers_size(), 0);
}

TEST_F(PodsTest, CheckpointIsNotSupported) {
  rt::CheckpointContainerResponse resp;
  auto st = pods_->CheckpointContainer({}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(st.error_message(), "checkpoint/restore is not supported by berth");
}

TEST_F(PodsTest, StatsOfARunningContainerAndItsPod) {
  std::string pod = run_pod(pod_config());
  std::string id = create_container(pod, container_config("x"));
  ASSERT_TRUE(start(id).ok());
  rt::ContainerStatsRequest req;
  req.set_container_id(id);
  rt::ContainerStatsResponse resp;
  ASSERT_TRUE(pods_->ContainerStats(req, &resp).ok());
  EXPECT_EQ(resp.stats().attributes().id(), id);
  EXPECT_EQ(resp.stats().attributes().metadata().name(), "x");
  EXPECT_EQ(resp.stats().cpu().usage_core_nano_seconds().value(), 1000u);
  EXPECT_EQ(resp.stats().memory().usage_bytes().value(), 4096u);
  EXPECT_EQ(resp.stats().writable_layer().used_bytes().value(), 123u);
  rt::PodSandboxStatsRequest preq;
  preq.set_pod_sandbox_id(pod);
  rt::PodSandboxStatsResponse presp;
  ASSERT_TRUE(pods_->PodSandboxStats(preq, &presp).ok());
  EXPECT_EQ(presp.stats().linux().containers_size(), 1);
  EXPECT_EQ(presp.stats().linux().cpu().usage_core_nano_seconds().value(), 1000u);
}

}  // namespace
}  // namespace berth::cri::testing

namespace berth::cri::testing {
namespace {

// The fake task's exec ends when the test says: its output, then its exit.
std::thread finish_exec(engine::fakes::FakeTaskRuntime& rt, std::string out, std::string err, int code) {
  return std::thread([&rt, out, err, code] {
    std::shared_ptr<task::ProcessListener> l;
    bool started = rt.log->wait_for([&] { return !rt.log->exec_listeners.empty(); });
    if (!started) return;
    {
      std::lock_guard lk(rt.log->mu);
      l = rt.log->exec_listeners.begin()->second;
      rt.log->exec_listeners.clear();
    }
    l->on_output(task::Stream::Stdout, out);
    l->on_output(task::Stream::Stderr, err);
    l->on_exit({code, false, "2026-12-06T00:00:02Z"});
  });
}

TEST_F(PodsTest, ExecSyncCollectsBothStreamsAndTheExitCode) {
  std::string pod = run_pod(pod_config());
  std::string id = create_container(pod, container_config("x"));
  rt::ExecSyncRequest req;
  req.set_container_id(id);
  req.add_cmd("sh");
  rt::ExecSyncResponse resp;
  EXPECT_EQ(pods_->ExecSync(req, &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "not running yet";
  ASSERT_TRUE(start(id).ok());
  auto ender = finish_exec(runtime_, "out\n", "err\n", 3);
  auto st = pods_->ExecSync(req, &resp);
  ender.join();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.stdout(), "out\n");
  EXPECT_EQ(resp.stderr(), "err\n");
  EXPECT_EQ(resp.exit_code(), 3);

  req.clear_cmd();
  EXPECT_EQ(pods_->ExecSync(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.add_cmd("true");
  req.set_container_id("nope");
  EXPECT_EQ(pods_->ExecSync(req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PodsTest, StreamsWithoutAServerAreUnavailable) {
  std::string pod = run_pod(pod_config());
  std::string id = create_container(pod, container_config("x"));
  ASSERT_TRUE(start(id).ok());
  rt::ExecRequest req;
  req.set_container_id(id);
  req.add_cmd("sh");
  rt::ExecResponse resp;
  auto st = pods_->Exec(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(st.error_message(), "the streaming server of berthd is not running");
  rt::PortForwardRequest pf;
  pf.set_pod_sandbox_id(pod);
  pf.add_port(8080);
  rt::PortForwardResponse pr;
  EXPECT_EQ(pods_->PortForward(pf, &pr).error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace berth::cri::testing
