// The CRI's RuntimeService: the runtime-level RPCs (Version, Status,
// RuntimeConfig, UpdateRuntimeConfig) are answered here; every pod- and
// container-level RPC is forwarded to the PodBackend.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "cri/pod_backend.h"
#include "runtime/v1/api.grpc.pb.h"

namespace berth::cri {

struct RuntimeInfo {
  std::string version;                     // berth's
  std::string cgroup_driver = "cgroupfs";  // "cgroupfs" or "systemd", as berthd runs
  std::string socket;                      // for Status's verbose info
  std::vector<std::string> handlers;       // runtime handlers beyond the default ("vm")
};

// GetContainerEvents runs on gRPC's callback API (it must learn at once that
// its client went away); every other RPC is a synchronous handler.
class RuntimeServiceImpl final : public rt::RuntimeService::WithCallbackMethod_GetContainerEvents<rt::RuntimeService::Service> {
 public:
  // runtime_ready: whether the engine can run containers (RuntimeReady); its
  // error's message becomes the condition's message. pods: outlives the service.
  RuntimeServiceImpl(RuntimeInfo info, PodBackend& pods, std::function<Result<void>()> runtime_ready);

  grpc::Status Version(grpc::ServerContext*, const rt::VersionRequest*, rt::VersionResponse*) override;
  grpc::Status Status(grpc::ServerContext*, const rt::StatusRequest*, rt::StatusResponse*) override;
  grpc::Status UpdateRuntimeConfig(grpc::ServerContext*, const rt::UpdateRuntimeConfigRequest*,
                                   rt::UpdateRuntimeConfigResponse*) override;
  grpc::Status RuntimeConfig(grpc::ServerContext*, const rt::RuntimeConfigRequest*,
                             rt::RuntimeConfigResponse*) override;
  grpc::ServerWriteReactor<rt::ContainerEventResponse>* GetContainerEvents(grpc::CallbackServerContext*,
                                                                          const rt::GetEventsRequest*) override;

// One line each: the RPC goes to the pod side as it is.
#define BERTH_CRI_FORWARD(Name, Req, Resp) \
  grpc::Status Name(grpc::ServerContext*, const rt::Req* req, rt::Resp* resp) override;
  BERTH_CRI_FORWARD(RunPodSandbox, RunPodSandboxRequest, RunPodSandboxResponse)
  BERTH_CRI_FORWARD(StopPodSandbox, StopPodSandboxRequest, StopPodSandboxResponse)
  BERTH_CRI_FORWARD(RemovePodSandbox, RemovePodSandboxRequest, RemovePodSandboxResponse)
  BERTH_CRI_FORWARD(PodSandboxStatus, PodSandboxStatusRequest, PodSandboxStatusResponse)
  BERTH_CRI_FORWARD(ListPodSandbox, ListPodSandboxRequest, ListPodSandboxResponse)
  BERTH_CRI_FORWARD(CreateContainer, CreateContainerRequest, CreateContainerResponse)
  BERTH_CRI_FORWARD(StartContainer, StartContainerRequest, StartContainerResponse)
  BERTH_CRI_FORWARD(StopContainer, StopContainerRequest, StopContainerResponse)
  BERTH_CRI_FORWARD(RemoveContainer, RemoveContainerRequest, RemoveContainerResponse)
  BERTH_CRI_FORWARD(ListContainers, ListContainersRequest, ListContainersResponse)
  BERTH_CRI_FORWARD(ContainerStatus, ContainerStatusRequest, ContainerStatusResponse)
  BERTH_CRI_FORWARD(UpdateContainerResources, UpdateContainerResourcesRequest, UpdateContainerResourcesResponse)
  BERTH_CRI_FORWARD(ReopenContainerLog, ReopenContainerLogRequest, ReopenContainerLogResponse)
  BERTH_CRI_FORWARD(ExecSync, ExecSyncRequest, ExecSyncResponse)
  BERTH_CRI_FORWARD(Exec, ExecRequest, ExecResponse)
  BERTH_CRI_FORWARD(Attach, AttachRequest, AttachResponse)
  BERTH_CRI_FORWARD(PortForward, PortForwardRequest, PortForwardResponse)
  BERTH_CRI_FORWARD(ContainerStats, ContainerStatsRequest, ContainerStatsResponse)
  BERTH_CRI_FORWARD(ListContainerStats, ListContainerStatsRequest, ListContainerStatsResponse)
  BERTH_CRI_FORWARD(PodSandboxStats, PodSandboxStatsRequest, PodSandboxStatsResponse)
  BERTH_CRI_FORWARD(ListPodSandboxStats, ListPodSandboxStatsRequest, ListPodSandboxStatsResponse)
  BERTH_CRI_FORWARD(CheckpointContainer, CheckpointContainerRequest, CheckpointContainerResponse)
  BERTH_CRI_FORWARD(ListMetricDescriptors, ListMetricDescriptorsRequest, ListMetricDescriptorsResponse)
  BERTH_CRI_FORWARD(ListPodSandboxMetrics, ListPodSandboxMetricsRequest, ListPodSandboxMetricsResponse)
#undef BERTH_CRI_FORWARD

 private:
  RuntimeInfo info_;
  PodBackend& pods_;
  std::function<Result<void>()> runtime_ready_;
  std::mutex mu_;
  std::string pod_cidr_;  // the last UpdateRuntimeConfig's, for Status's verbose info
};

}  // namespace berth::cri
