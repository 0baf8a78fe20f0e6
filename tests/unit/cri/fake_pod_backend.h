// A PodBackend that records which RPC it got and answers with a set status,
// so the service's forwarding and Status can be checked without a pod side.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cri/pod_backend.h"

namespace berth::cri::testing {

class FakePodBackend : public PodBackend {
 public:
  std::vector<std::string> calls;
  grpc::Status answer = grpc::Status::OK;
  Result<void> network = {};
  std::string pod_cidr;

#define FAKE_RPC(Name)                                                              \
  grpc::Status Name(const rt::Name##Request&, rt::Name##Response*) override {       \
    calls.push_back(#Name);                                                         \
    return answer;                                                                  \
  }
  FAKE_RPC(StopPodSandbox)
  FAKE_RPC(RemovePodSandbox)
  FAKE_RPC(PodSandboxStatus)
  FAKE_RPC(ListPodSandbox)
  FAKE_RPC(CreateContainer)
  FAKE_RPC(StartContainer)
  FAKE_RPC(StopContainer)
  FAKE_RPC(RemoveContainer)
  FAKE_RPC(ListContainers)
  FAKE_RPC(ContainerStatus)
  FAKE_RPC(UpdateContainerResources)
  FAKE_RPC(ReopenContainerLog)
  FAKE_RPC(ExecSync)
  FAKE_RPC(Exec)
  FAKE_RPC(Attach)
  FAKE_RPC(PortForward)
  FAKE_RPC(ContainerStats)
  FAKE_RPC(ListContainerStats)
  FAKE_RPC(PodSandboxStats)
  FAKE_RPC(ListPodSandboxStats)
  FAKE_RPC(ListPodSandboxMetrics)
  FAKE_RPC(ListMetricDescriptors)
  FAKE_RPC(CheckpointContainer)
#undef FAKE_RPC

  // The one whose response is checked: an id that shows the answer came through.
  grpc::Status RunPodSandbox(const rt::RunPodSandboxRequest& req, rt::RunPodSandboxResponse* resp) override {
    calls.push_back("RunPodSandbox");
    if (answer.ok()) resp->set_pod_sandbox_id("pod-" + req.config().metadata().name());
    return answer;
  }
  // The watch GetContainerEvents gets: one CONTAINER_STARTED_EVENT for "c1",
  // then (unless ends_after_first) it blocks until the stream cancels it.
  struct Watch : ContainerEventWatch {
    FakePodBackend* owner;
    bool sent = false;
    explicit Watch(FakePodBackend* o) : owner(o) {}
    std::optional<rt::ContainerEventResponse> next() override {
      if (!sent) {
        sent = true;
        rt::ContainerEventResponse ev;
        ev.set_container_id("c1");
        ev.set_container_event_type(rt::CONTAINER_STARTED_EVENT);
        return ev;
      }
      std::unique_lock lk(owner->watch_mu);
      owner->watch_cv.wait(lk, [&] { return owner->ends_after_first || owner->watch_cancelled; });
      return std::nullopt;
    }
    void cancel() override {
      std::lock_guard lk(owner->watch_mu);
      owner->watch_cancelled = true;
      owner->watch_cv.notify_all();
    }
  };
  std::unique_ptr<ContainerEventWatch> WatchContainerEvents(const rt::GetEventsRequest&) override {
    calls.push_back("GetContainerEvents");
    if (!answer.ok()) return nullptr;
    return std::make_unique<Watch>(this);
  }
  bool ends_after_first = true;
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool watch_cancelled = false;
  Result<void> network_ready() override { return network; }
  Result<void> update_runtime_config(const rt::RuntimeConfig& c) override {
    pod_cidr = c.network_config().pod_cidr();
    return {};
  }
};

}  // namespace berth::cri::testing
