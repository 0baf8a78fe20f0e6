// The seam between the CRI gRPC service (src/cri, which speaks the protocol)
// and the pod/container side (src/cri/pods, src/cri/containers, which drives
// the engine): one method per pod- or container-level RPC, with the RPC's own
// request and response types, so the service only forwards. Implementations
// answer with a grpc::Status whose code fits the failure (NOT_FOUND,
// INVALID_ARGUMENT, ...) and whose message says what failed in plain words.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "base/error.h"
#include "runtime/v1/api.pb.h"

namespace berth::engine {
class Engine;
class ContainerService;
}  // namespace berth::engine
namespace berth::backend {
class ImageBackend;
class DistributionBackend;
}  // namespace berth::backend

namespace berth::cri {

namespace rt = ::runtime::v1;

// One GetContainerEvents stream's source. next() blocks until the next event
// for the CRI's containers, or returns nullopt once cancel() was called (from
// any thread: the stream's cancellation wakes it, nothing polls).
class ContainerEventWatch {
 public:
  virtual ~ContainerEventWatch() = default;
  virtual std::optional<rt::ContainerEventResponse> next() = 0;
  virtual void cancel() = 0;
};

class PodBackend {
 public:
  virtual ~PodBackend() = default;

  // --- pod sandboxes
  virtual grpc::Status RunPodSandbox(const rt::RunPodSandboxRequest&, rt::RunPodSandboxResponse*) = 0;
  virtual grpc::Status StopPodSandbox(const rt::StopPodSandboxRequest&, rt::StopPodSandboxResponse*) = 0;
  virtual grpc::Status RemovePodSandbox(const rt::RemovePodSandboxRequest&, rt::RemovePodSandboxResponse*) = 0;
  virtual grpc::Status PodSandboxStatus(const rt::PodSandboxStatusRequest&, rt::PodSandboxStatusResponse*) = 0;
  virtual grpc::Status ListPodSandbox(const rt::ListPodSandboxRequest&, rt::ListPodSandboxResponse*) = 0;

  // --- containers
  virtual grpc::Status CreateContainer(const rt::CreateContainerRequest&, rt::CreateContainerResponse*) = 0;
  virtual grpc::Status StartContainer(const rt::StartContainerRequest&, rt::StartContainerResponse*) = 0;
  virtual grpc::Status StopContainer(const rt::StopContainerRequest&, rt::StopContainerResponse*) = 0;
  virtual grpc::Status RemoveContainer(const rt::RemoveContainerRequest&, rt::RemoveContainerResponse*) = 0;
  virtual grpc::Status ListContainers(const rt::ListContainersRequest&, rt::ListContainersResponse*) = 0;
  virtual grpc::Status ContainerStatus(const rt::ContainerStatusRequest&, rt::ContainerStatusResponse*) = 0;
  virtual grpc::Status UpdateContainerResources(const rt::UpdateContainerResourcesRequest&,
                                                rt::UpdateContainerResourcesResponse*) = 0;
  virtual grpc::Status ReopenContainerLog(const rt::ReopenContainerLogRequest&, rt::ReopenContainerLogResponse*) = 0;

  // --- processes and streams (Exec/Attach/PortForward return the streaming server's URL)
  virtual grpc::Status ExecSync(const rt::ExecSyncRequest&, rt::ExecSyncResponse*) = 0;
  virtual grpc::Status Exec(const rt::ExecRequest&, rt::ExecResponse*) = 0;
  virtual grpc::Status Attach(const rt::AttachRequest&, rt::AttachResponse*) = 0;
  virtual grpc::Status PortForward(const rt::PortForwardRequest&, rt::PortForwardResponse*) = 0;

  // --- stats and metrics
  virtual grpc::Status ContainerStats(const rt::ContainerStatsRequest&, rt::ContainerStatsResponse*) = 0;
  virtual grpc::Status ListContainerStats(const rt::ListContainerStatsRequest&, rt::ListContainerStatsResponse*) = 0;
  virtual grpc::Status PodSandboxStats(const rt::PodSandboxStatsRequest&, rt::PodSandboxStatsResponse*) = 0;
  virtual grpc::Status ListPodSandboxStats(const rt::ListPodSandboxStatsRequest&,
                                           rt::ListPodSandboxStatsResponse*) = 0;
  virtual grpc::Status ListPodSandboxMetrics(const rt::ListPodSandboxMetricsRequest&,
                                             rt::ListPodSandboxMetricsResponse*) = 0;
  virtual grpc::Status ListMetricDescriptors(const rt::ListMetricDescriptorsRequest&,
                                             rt::ListMetricDescriptorsResponse*) = 0;

  virtual grpc::Status CheckpointContainer(const rt::CheckpointContainerRequest&, rt::CheckpointContainerResponse*) = 0;
  // GetContainerEvents: a watch on container events from now on; nullptr when
  // berthd has no event bus to watch (the stream then ends with UNAVAILABLE).
  virtual std::unique_ptr<ContainerEventWatch> WatchContainerEvents(const rt::GetEventsRequest&) = 0;

  // --- runtime-level inputs the service needs
  // The pod network's readiness (the CNI config and its plugins); the error's
  // message is the NetworkReady condition's message.
  virtual Result<void> network_ready() = 0;
  // UpdateRuntimeConfig: the node's pod CIDR (empty when the kubelet has none).
  virtual Result<void> update_runtime_config(const rt::RuntimeConfig& config) = 0;
};

// What the pod side is built from. berthd fills it from its flags and daemon.json.
struct PodBackendDeps {
  engine::Engine* engine = nullptr;                       // for what the seams below lack
  engine::ContainerService* containers = nullptr;         // the typed container service and its tasks
  backend::ImageBackend* images = nullptr;                // the image store the Docker API uses
  backend::DistributionBackend* distribution = nullptr;   // pulls of a missing image, if wanted
  std::string data_dir;   // <data-root>/cri: records that outlive a reboot
  std::string state_dir;  // <exec-root>/cri: netns files, sockets, per-boot state
  std::string cgroup_driver = "cgroupfs";  // "cgroupfs" or "systemd", as berthd runs
  std::string cgroup_parent = "berth";     // berthd's default, for pods without one
  std::string runtime_version;             // berth's version, for statuses
  // CNI (berth::cni::NetworkOptions is built from these).
  std::vector<std::string> cni_conf_dirs{"/etc/cni/net.d"};
  std::vector<std::string> cni_bin_dirs{"/opt/cni/bin", "/usr/lib/cni"};
  std::string cni_cache_dir;  // empty: <data-root>/cni/results
  // The streaming server for Exec/Attach/PortForward (berth::kubestream::ServerOptions).
  std::string stream_address = "127.0.0.1";
  uint16_t stream_port = 0;  // 0: any free port
};

// Defined by the pod side (src/cri/pods). berthd calls it once at start-up.
Result<std::unique_ptr<PodBackend>> make_pod_backend(const PodBackendDeps& deps);

}  // namespace berth::cri
