// Tearing a pod down: what is left of its containers is killed at once with
// SIGKILL (as containerd does; the kubelet has stopped them with their grace
// periods already) while the network's DEL runs, and they are removed at once.
#include <csignal>
#include <set>

#include "pods_fixture.h"

namespace berth::cri::testing {
namespace {

TEST_F(PodsTest, StopKillsEveryContainerAtOnceWithSigkillAndTearsTheNetworkDownOnce) {
  std::string pod = run_pod(pod_config());
  std::vector<std::string> ids;
  for (const char* name : {"a", "b", "c"}) {
    ids.push_back(create_container(pod, container_config(name)));
    ASSERT_TRUE(start(ids.back()).ok());
  }
  // The fake tasks exit only once all three have been signalled: killing them
  // one after the other (waiting for each exit) would never get there.
  std::thread exits([&] {
    bool all = runtime_.log->wait_for([&] {
      std::set<std::string> signalled;
      for (const auto& [who, sig] : runtime_.log->signals) signalled.insert(who);
      for (const auto& id : ids)
        if (!signalled.count(id)) return false;
      return true;
    });
    if (all)
      for (const auto& id : ids) runtime_.exit(id, 137);
  });
  rt::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  rt::StopPodSandboxResponse sr;
  auto st = pods_->StopPodSandbox(stop, &sr);
  exits.join();
  ASSERT_TRUE(st.ok()) << st.error_message();

  for (const auto& id : ids) {
    EXPECT_EQ(status_of(id).state(), rt::CONTAINER_EXITED) << id;
    std::lock_guard lk(runtime_.log->mu);
    for (const auto& [who, sig] : runtime_.log->signals)
      if (who == id) {
        EXPECT_EQ(sig, SIGKILL) << "the first signal " << id << " got";
        break;
      }
  }
  {
    std::lock_guard lk(network_.mu);
    ASSERT_EQ(network_.detaches.size(), 1u);
    EXPECT_EQ(network_.detaches[0].container_id, pod);
  }

  rt::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(pod);
  rt::RemovePodSandboxResponse rr;
  ASSERT_TRUE(pods_->RemovePodSandbox(rm, &rr).ok());
  for (const auto& id : ids) {
    rt::ContainerStatusRequest req;
    req.set_container_id(id);
    rt::ContainerStatusResponse resp;
    EXPECT_EQ(pods_->ContainerStatus(req, &resp).error_code(), grpc::StatusCode::NOT_FOUND) << id;
  }
}

}  // namespace
}  // namespace berth::cri::testing
