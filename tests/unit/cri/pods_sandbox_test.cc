// Pod sandboxes through PodService: validation, namespaces, /etc files, CNI,
// stop/remove (idempotent), status, list filters, and records after a restart.
#include <fstream>

#include "base/file.h"
#include "pods_fixture.h"

namespace berth::cri::testing {
namespace {

TEST_F(PodsTest, RunRefusesMissingMetadataNamingTheField) {
  for (const char* field : {"name", "uid", "namespace"}) {
    auto c = pod_config();
    if (std::string(field) == "name") c.mutable_metadata()->clear_name();
    if (std::string(field) == "uid") c.mutable_metadata()->clear_uid();
    if (std::string(field) == "namespace") c.mutable_metadata()->clear_namespace_();
    rt::RunPodSandboxRequest req;
    *req.mutable_config() = c;
    rt::RunPodSandboxResponse resp;
    auto st = pods_->RunPodSandbox(req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), std::string("RunPodSandbox: config.metadata.") + field + " is required");
  }
  EXPECT_TRUE(network_.attaches.empty());
  EXPECT_TRUE(kernel_.holds.empty());
}

TEST_F(PodsTest, RunHoldsNamespacesWritesFilesAndAttachesCni) {
  auto c = pod_config();
  c.mutable_dns_config()->add_servers("10.96.0.10");
  c.mutable_dns_config()->add_searches("default.svc.cluster.local");
  c.mutable_dns_config()->add_options("ndots:5");
  auto* pm = c.add_port_mappings();
  pm->set_container_port(80);
  pm->set_host_port(8080);
  pm->set_protocol(rt::UDP);
  c.add_port_mappings()->set_container_port(81);  // no host port: not published
  std::string id = run_pod(c);
  ASSERT_EQ(id.size(), 64u);

  ASSERT_EQ(kernel_.holds.size(), 1u);
  std::string dir = root_ + "/cri-state/pods/" + id;
  EXPECT_EQ(kernel_.holds[0].net, dir + "/net");
  EXPECT_EQ(kernel_.holds[0].ipc, dir + "/ipc");
  EXPECT_EQ(kernel_.holds[0].uts, dir + "/uts");
  EXPECT_EQ(kernel_.holds[0].hostname, "web-host");
  EXPECT_EQ(kernel_.shms.count(dir + "/shm"), 1u);
  EXPECT_EQ(read_file(dir + "/resolv.conf").value_or(""),
            "search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
  EXPECT_EQ(read_file(dir + "/hostname").value_or(""), "web-host\n");
  EXPECT_NE(read_file(dir + "/hosts").value_or("").find("127.0.0.1\tlocalhost"), std::string::npos);

  ASSERT_EQ(network_.attaches.size(), 1u);
  const auto& a = network_.attaches[0];
  EXPECT_EQ(a.container_id, id);
  EXPECT_EQ(a.netns_path, dir + "/net");
  EXPECT_EQ(a.cgroup_path, "/kubepods/poduid-1");
  std::map<std::string, std::string> args(a.args.begin(), a.args.end());
  EXPECT_EQ(args["K8S_POD_NAME"], "web");
  EXPECT_EQ(args["K8S_POD_NAMESPACE"], "default");
  EXPECT_EQ(args["K8S_POD_UID"], "uid-1");
  EXPECT_EQ(args["K8S_POD_INFRA_CONTAINER_ID"], id);
  EXPECT_EQ(args["IgnoreUnknown"], "1");
  ASSERT_EQ(a.port_mappings.size(), 1u);
  EXPECT_EQ(a.port_mappings[0].host_port, 8080);
  EXPECT_EQ(a.port_mappings[0].container_port, 80);
  EXPECT_EQ(a.port_mappings[0].protocol, "udp");

  rt::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(id.substr(0, 12));  // a prefix names it
  sreq.set_verbose(true);
  rt::PodSandboxStatusResponse sresp;
  ASSERT_TRUE(pods_->PodSandboxStatus(sreq, &sresp).ok());
  EXPECT_EQ(sresp.status().id(), id);
  EXPECT_EQ(sresp.status().state(), rt::SANDBOX_READY);
  EXPECT_EQ(sresp.status().network().ip(), "10.216.0.2");
  EXPECT_EQ(sresp.status().metadata().name(), "web");
  EXPECT_EQ(sresp.status().labels().at("app"), "web");
  EXPECT_EQ(sresp.status().annotations().at("note"), "kept");
  EXPECT_GT(sresp.status().created_at(), 0);
  auto info = nlohmann::json::parse(sresp.info().at("info"));
  EXPECT_EQ(info["config"]["metadata"]["name"], "web");
}

TEST_F(PodsTest, HostNetworkAndIpcHoldNothingOfTheirs) {
  auto c = pod_config();
  auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(rt::NODE);
  ns->set_ipc(rt::NODE);
  std::string id = run_pod(c);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(kernel_.holds.size(), 1u);
  EXPECT_EQ(kernel_.holds[0].net, "");
  EXPECT_EQ(kernel_.holds[0].ipc, "");
  EXPECT_EQ(kernel_.holds[0].uts, "");
  EXPECT_TRUE(kernel_.shms.empty());
  EXPECT_TRUE(network_.attaches.empty()) << "no CNI for a host-network pod";
  std::string dir = root_ + "/cri-state/pods/" + id;
  EXPECT_EQ(read_file(dir + "/hosts").value_or(""), "127.0.0.1 localhost host-file\n");
  EXPECT_EQ(read_file(dir + "/resolv.conf").value_or(""), "nameserver 192.0.2.53\n");
}

TEST_F(PodsTest, ANameInUseIsReservedAndAFailedRunLeavesNothing) {
  std::string id = run_pod(pod_config());
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config();
  rt::RunPodSandboxResponse resp;
  auto st = pods_->RunPodSandbox(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(st.error_message(), "RunPodSandbox: the name \"web_default_uid-1_0\" is reserved for pod " + id);

  network_.fail_attach = true;
  *req.mutable_config() = pod_config("db", "uid-2");
  st = pods_->RunPodSandbox(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(st.error_message().find("plugin bridge failed"), std::string::npos) << st.error_message();
  EXPECT_EQ(kernel_.held.size(), 3u) << "only the first pod's namespaces are held";
  EXPECT_EQ(kernel_.shms.size(), 1u);
  rt::ListPodSandboxResponse list;
  ASSERT_TRUE(pods_->ListPodSandbox({}, &list).ok());
  EXPECT_EQ(list.items_size(), 1);
  // The name is free again after the failure.
  network_.fail_attach = false;
  EXPECT_FALSE(run_pod(pod_config("db", "uid-2")).empty());
}

TEST_F(PodsTest, ASharedPidNamespaceIsHeldByBerthInit) {
  auto c = pod_config();
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(rt::POD);
  std::string id = run_pod(c);
  ASSERT_FALSE(id.empty());
  std::string dir = root_ + "/cri-state/pods/" + id;
  ASSERT_EQ(kernel_.holders.count(dir + "/pid"), 1u);
  EXPECT_EQ(kernel_.holders[dir + "/pid"], "/usr/libexec/berth/berth-init");
  std::string cid = create_container(id, container_config("x"));
  ASSERT_TRUE(start(cid).ok());
  auto spec = nlohmann::json::parse(read_file(runtime_.log->starts.at(0).bundle + "/config.json").value_or("{}"));
  std::string pid_path;
  for (const auto& n : spec["linux"]["namespaces"])
    if (n["type"] == "pid") pid_path = n.value("path", "");
  EXPECT_EQ(pid_path, dir + "/pid");

  auto exiter = exit_on_kill(cid);
  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(id);
  rt::StopPodSandboxResponse sr;
  ASSERT_TRUE(pods_->StopPodSandbox(stop, &sr).ok());
  exiter.join();
  EXPECT_EQ(kernel_.stopped_holders, std::vector<int>{7001});
  EXPECT_FALSE(kernel_.is_held(dir + "/pid"));
}

TEST_F(PodsTest, StopAndRemoveAreIdempotent) {
  std::string id = run_pod(pod_config());
  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(id);
  rt::StopPodSandboxResponse sr;
  ASSERT_TRUE(pods_->StopPodSandbox(stop, &sr).ok());
  ASSERT_EQ(network_.detaches.size(), 1u);
  EXPECT_EQ(network_.detaches[0].container_id, id);
  EXPECT_EQ(network_.detaches[0].args, network_.attaches[0].args);
  std::string dir = root_ + "/cri-state/pods/" + id;
  EXPECT_FALSE(kernel_.is_held(dir + "/net")) << "the netns goes at stop";
  EXPECT_TRUE(kernel_.is_held(dir + "/ipc"));
  rt::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(id);
  rt::PodSandboxStatusResponse sresp;
  ASSERT_TRUE(pods_->PodSandboxStatus(sreq, &sresp).ok());
  EXPECT_EQ(sresp.status().state(), rt::SANDBOX_NOTREADY);
  ASSERT_TRUE(pods_->StopPodSandbox(stop, &sr).ok()) << "a second stop is fine";

  rt::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(id);
  rt::RemovePodSandboxResponse rr;
  ASSERT_TRUE(pods_->RemovePodSandbox(rm, &rr).ok());
  EXPECT_TRUE(kernel_.held.empty());
  EXPECT_TRUE(kernel_.shms.empty());
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/cri-data/pods/" + id + ".json"));
  EXPECT_EQ(pods_->PodSandboxStatus(sreq, &sresp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(pods_->RemovePodSandbox(rm, &rr).ok()) << "NOT_FOUND is success for the CRI";
  EXPECT_TRUE(pods_->StopPodSandbox(stop, &sr).ok());
  // The name is free again.
  EXPECT_FALSE(run_pod(pod_config()).empty());
}

TEST_F(PodsTest, ListFiltersByIdStateAndLabels) {
  std::string a = run_pod(pod_config("a", "u-a"));
  std::string b = run_pod(pod_config("b", "u-b"));
  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(b);
  rt::StopPodSandboxResponse sr;
  ASSERT_TRUE(pods_->StopPodSandbox(stop, &sr).ok());
  auto ids = [&](const rt::ListPodSandboxRequest& req) {
    rt::ListPodSandboxResponse resp;
    EXPECT_TRUE(pods_->ListPodSandbox(req, &resp).ok());
    std::set<std::string> out;
    for (const auto& p : resp.items()) out.insert(p.id());
    return out;
  };
  EXPECT_EQ(ids({}), (std::set<std::string>{a, b}));
  rt::ListPodSandboxRequest req;
  req.mutable_filter()->mutable_state()->set_state(rt::SANDBOX_READY);
  EXPECT_EQ(ids(req), std::set<std::string>{a});
  req.Clear();
  (*req.mutable_filter()->mutable_label_selector())["app"] = "b";
  EXPECT_EQ(ids(req), std::set<std::string>{b});
  req.Clear();
  req.mutable_filter()->set_id(a.substr(0, 10));
  EXPECT_EQ(ids(req), std::set<std::string>{a});
}

TEST_F(PodsTest, RecordsComeBackAfterARestartAndLostNamespacesMakeAPodNotReady) {
  std::string kept = run_pod(pod_config("kept", "u-1"));
  std::string lost = run_pod(pod_config("lost", "u-2"));
  kernel_.release_namespace(root_ + "/cri-state/pods/" + lost + "/net");  // as a reboot would
  open_pods();
  rt::ListPodSandboxResponse list;
  ASSERT_TRUE(pods_->ListPodSandbox({}, &list).ok());
  ASSERT_EQ(list.items_size(), 2);
  for (const auto& p : list.items())
    EXPECT_EQ(p.state(), p.id() == kept ? rt::SANDBOX_READY : rt::SANDBOX_NOTREADY) << p.metadata().name();
  // Names stay reserved across the restart.
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = pod_config("kept", "u-1");
  rt::RunPodSandboxResponse resp;
  EXPECT_EQ(pods_->RunPodSandbox(req, &resp).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // A stop after the restart still runs CNI DEL (from the cache, in the plugin).
  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(lost);
  rt::StopPodSandboxResponse sr;
  ASSERT_TRUE(pods_->StopPodSandbox(stop, &sr).ok());
  ASSERT_FALSE(network_.detaches.empty());
  EXPECT_EQ(network_.detaches.back().container_id, lost);
}

TEST_F(PodsTest, CniAttachmentsOfUnknownPodsAreTornDownAtOpen) {
  std::string known = run_pod(pod_config());
  network_.cached = {{known, "eth0", "/x/net", "bpod-test"}, {"gone-pod", "eth0", "/y/net", "bpod-test"}};
  open_pods();
  ASSERT_EQ(network_.detaches.size(), 1u);
  EXPECT_EQ(network_.detaches[0].container_id, "gone-pod");
  EXPECT_EQ(network_.detaches[0].netns_path, "/y/net");
}

TEST_F(PodsTest, NetworkReadinessIsTheCnis) {
  EXPECT_TRUE(pods_->network_ready());
  network_.not_ready = true;
  auto r = pods_->network_ready();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no network config"), std::string::npos);
}

}  // namespace
}  // namespace berth::cri::testing
