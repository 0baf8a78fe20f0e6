// RunPodSandbox with the handler "vm" over the fakes: what is refused, and a
// VM that does not boot leaves nothing behind (the keeper is a real process:
// here a stand-in script that fails as berth-vm-runner would, or never answers).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "base/file.h"
#include "pods_fixture.h"

namespace berth::cri::testing {
namespace {

grpc::Status run_vm(PodService& pods, const rt::PodSandboxConfig& c, std::string* id = nullptr) {
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = c;
  req.set_runtime_handler("vm");
  rt::RunPodSandboxResponse resp;
  auto st = pods.RunPodSandbox(req, &resp);
  if (id) *id = resp.pod_sandbox_id();
  return st;
}

TEST_F(PodsTest, VmHandlerWithoutAGuestImageIsUnavailableAndHoldsNothing) {
  auto st = run_vm(*pods_, pod_config());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find("--vm-kernel"), std::string::npos) << st.error_message();
  EXPECT_TRUE(kernel_.held.empty());
  EXPECT_TRUE(network_.attaches.empty());
}

TEST_F(PodsTest, VmHandlerRefusesHostNamespacesAndASharedPidNamespace) {
  vm_ = {"/bin/true", "/k", "/i", "tcg", 128};
  open_pods();
  auto c = pod_config();
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(rt::NODE);
  auto st = run_vm(*pods_, c);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("host networking cannot work in a VM pod"), std::string::npos) << st.error_message();
  c = pod_config();
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(rt::POD);
  st = run_vm(*pods_, c);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("shareProcessNamespace"), std::string::npos);
  EXPECT_TRUE(kernel_.held.empty());
  rt::RunPodSandboxRequest other;
  *other.mutable_config() = pod_config();
  other.set_runtime_handler("kata");
  rt::RunPodSandboxResponse resp;
  st = pods_->RunPodSandbox(other, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(st.error_message().find("\"vm\""), std::string::npos);
}

TEST_F(PodsTest, AVmThatDoesNotBootLeavesNothingAndFreesTheName) {
  // A runner that reports a boot failure on its report fd, as berth-vm-runner does.
  std::string runner = root_ + "/fake-runner";
  {
    std::ofstream(runner) << "#!/bin/sh\necho '{\"code\":\"Internal\",\"message\":\"QEMU said no\"}' >&3\n";
  }
  ::chmod(runner.c_str(), 0755);
  vm_ = {runner, "/k", "/i", "tcg", 128};
  open_pods();
  auto st = run_vm(*pods_, pod_config());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(st.error_message().find("QEMU said no"), std::string::npos) << st.error_message();
  EXPECT_TRUE(kernel_.held.empty());
  EXPECT_EQ(network_.attaches.size(), 1u);
  EXPECT_EQ(network_.detaches.size(), 1u);  // the CNI ADD was undone
  rt::ListPodSandboxResponse list;
  ASSERT_TRUE(pods_->ListPodSandbox({}, &list).ok());
  EXPECT_EQ(list.items_size(), 0);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/cri-state/pods"  ) &&
               !std::filesystem::is_empty(root_ + "/cri-state/pods"));
  // A namespace pod of the same name runs afterwards.
  EXPECT_FALSE(run_pod(pod_config()).empty());
}

TEST_F(PodsTest, AfterARestartAVmPodWhoseKeeperIsGoneIsNotReady) {
  // Two pods made VM pods in their records: one keeper "runs" (a process whose
  // command line is a keeper's of that dir), the other's pid is alive but not a
  // keeper (a reused pid).
  std::string live = run_pod(pod_config("live", "u-1"));
  std::string gone = run_pod(pod_config("gone", "u-2"));
  std::string live_dir = root_ + "/cri-state/pods/" + live + "/vm";
  pid_t keeper = ::fork();
  if (keeper == 0) {
    ::execl("/bin/sh", "sh", "-c", "sleep 30; :", "--pod-vm", live_dir.c_str(), nullptr);
    ::_exit(127);
  }
  ASSERT_GT(keeper, 0);
  // Its command line is the keeper's once it has exec'd.
  for (int i = 0; i < 500 && !vm_keeper_alive(keeper, live_dir); ++i) ::usleep(10000);
  ASSERT_TRUE(vm_keeper_alive(keeper, live_dir));
  for (const auto& [id, pid] : {std::pair{live, static_cast<int>(keeper)}, std::pair{gone, static_cast<int>(::getpid())}}) {
    std::string path = root_ + "/cri-data/pods/" + id + ".json";
    auto j = nlohmann::json::parse(read_file(path).value_or("{}"));
    j["runtime_handler"] = "vm";
    j["vm_keeper"] = pid;
    j["vm_dir"] = root_ + "/cri-state/pods/" + id + "/vm";
    ASSERT_TRUE(write_file_atomic(path, j.dump(), 0600, false));
  }
  open_pods();
  rt::ListPodSandboxResponse list;
  ASSERT_TRUE(pods_->ListPodSandbox({}, &list).ok());
  ASSERT_EQ(list.items_size(), 2);
  for (const auto& p : list.items()) {
    EXPECT_EQ(p.runtime_handler(), "vm");
    EXPECT_EQ(p.state(), p.id() == live ? rt::SANDBOX_READY : rt::SANDBOX_NOTREADY) << p.metadata().name();
  }
  // The keeper ends (its QEMU died): the pod reads NOTREADY without a restart.
  ::kill(keeper, SIGKILL);
  ::waitpid(keeper, nullptr, 0);
  rt::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(live);
  rt::PodSandboxStatusResponse sresp;
  ASSERT_TRUE(pods_->PodSandboxStatus(sreq, &sresp).ok());
  EXPECT_EQ(sresp.status().state(), rt::SANDBOX_NOTREADY);
}

}  // namespace
}  // namespace berth::cri::testing
