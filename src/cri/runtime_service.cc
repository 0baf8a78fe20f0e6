#include "cri/runtime_service.h"

#include <nlohmann/json.hpp>

#include "base/heap_trim.h"
#include "cri/container_events_reactor.h"
#include "cri/status.h"

namespace berth::cri {

namespace {

constexpr const char* kRuntimeName = "berth";
constexpr const char* kRuntimeApiVersion = "v1";
// The kubelet-facing API version, the value the CRI's reference runtimes answer.
constexpr const char* kKubeletApiVersion = "0.1.0";

void add_condition(rt::RuntimeStatus* status, const char* type, const Result<void>& ready, const char* reason) {
  auto* c = status->add_conditions();
  c->set_type(type);
  c->set_status(ready.has_value());
  if (!ready) {
    c->set_reason(reason);
    c->set_message(ready.error().str());
  }
}

}  // namespace

RuntimeServiceImpl::RuntimeServiceImpl(RuntimeInfo info, PodBackend& pods, std::function<Result<void>()> runtime_ready)
    : info_(std::move(info)), pods_(pods), runtime_ready_(std::move(runtime_ready)) {}

grpc::Status RuntimeServiceImpl::Version(grpc::ServerContext*, const rt::VersionRequest*, rt::VersionResponse* resp) {
  resp->set_version(kKubeletApiVersion);
  resp->set_runtime_name(kRuntimeName);
  resp->set_runtime_version(info_.version);
  resp->set_runtime_api_version(kRuntimeApiVersion);
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::Status(grpc::ServerContext*, const rt::StatusRequest* req, rt::StatusResponse* resp) {
  Result<void> runtime = runtime_ready_ ? runtime_ready_() : Result<void>{};
  Result<void> network = pods_.network_ready();
  add_condition(resp->mutable_status(), "RuntimeReady", runtime, "BerthEngineNotReady");
  add_condition(resp->mutable_status(), "NetworkReady", network, "NetworkPluginNotReady");
  resp->add_runtime_handlers()->set_name("");  // the default handler
  for (const auto& h : info_.handlers) resp->add_runtime_handlers()->set_name(h);
  if (req->verbose()) {
    std::string cidr;
    {
      std::lock_guard lock(mu_);
      cidr = pod_cidr_;
    }
    nlohmann::json config = {{"runtimeName", kRuntimeName},
                             {"runtimeVersion", info_.version},
                             {"cgroupDriver", info_.cgroup_driver},
                             {"socket", info_.socket},
                             {"podCIDR", cidr}};
    (*resp->mutable_info())["config"] = config.dump();
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::UpdateRuntimeConfig(grpc::ServerContext*, const rt::UpdateRuntimeConfigRequest* req,
                                                     rt::UpdateRuntimeConfigResponse*) {
  if (auto r = pods_.update_runtime_config(req->runtime_config()); !r) return to_status(r.error(), "UpdateRuntimeConfig");
  std::lock_guard lock(mu_);
  pod_cidr_ = req->runtime_config().network_config().pod_cidr();
  return grpc::Status::OK;
}

grpc::Status RuntimeServiceImpl::RuntimeConfig(grpc::ServerContext*, const rt::RuntimeConfigRequest*,
                                               rt::RuntimeConfigResponse* resp) {
  resp->mutable_linux()->set_cgroup_driver(info_.cgroup_driver == "systemd" ? rt::SYSTEMD : rt::CGROUPFS);
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<rt::ContainerEventResponse>* RuntimeServiceImpl::GetContainerEvents(
    grpc::CallbackServerContext*, const rt::GetEventsRequest* req) {
  return start_container_events(pods_.WatchContainerEvents(*req));
}

#define BERTH_CRI_FORWARD(Name, Req, Resp)                                                                  \
  grpc::Status RuntimeServiceImpl::Name(grpc::ServerContext*, const rt::Req* req, rt::Resp* resp) {        \
    HeapTrimmer::Busy busy;                                                                                  \
    return pods_.Name(*req, resp);                                                                           \
  }
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

}  // namespace berth::cri
