// berth's PodBackend: pod sandboxes without a pause process (namespaces held
// by bind mounts, see pod_sandbox.h) and their containers as ContainerService
// containers of namespace "k8s.io" that join the pod's namespaces by path.
// Also the StreamRuntime the streaming server calls for exec/attach/port-forward.
//
// Locking: mu_ guards pods_ and reserved_; each pod's op_mu serializes its
// run/stop/remove (the slow parts, CNI and container stops, run without mu_).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cni/cni.h"
#include "cri/pod_backend.h"
#include "cri/containers/cri_labels.h"
#include "cri/pods/pod_kernel.h"
#include "cri/pods/pod_sandbox.h"
#include "cri/pods/pod_store.h"
#include "cri/pods/vm_pod.h"
#include "engine/events.h"
#include "kubestream/stream_server.h"

namespace berth::engine {
class ContainerService;
}

namespace berth::cri {

// The namespace CRI containers live in (model::ContainerSpec::ns).
inline constexpr const char* kCriNamespace = "k8s.io";

struct PodServiceDeps {
  engine::ContainerService* containers = nullptr;
  engine::Events* events = nullptr;  // GetContainerEvents
  cni::Network* network = nullptr;
  PodKernel* kernel = nullptr;
  std::string init_path;  // berth-init: PID 1 of a PID namespace the pod shares
  std::string data_dir;   // pods/<id>.json
  std::string state_dir;  // pods/<id>/: namespace files, /etc files, shm
  std::string cgroup_parent = "berth";  // for pods without one
  std::string host_resolv_conf = "/etc/resolv.conf", host_hosts = "/etc/hosts";
  VmPodConfig vm;  // the runtime handler "vm" (empty runner: unavailable)
};

class PodService final : public PodBackend, public kubestream::StreamRuntime {
 public:
  // Loads the pod records; a pod whose network namespace is gone (a reboot,
  // a crash that lost it) is NOTREADY.
  static Result<std::unique_ptr<PodService>> open(PodServiceDeps deps);
  // The streaming server (started after the service, which it calls back).
  void set_streams(kubestream::StreamServer* streams) { streams_ = streams; }
  // What make_pod_backend built for the service to own (deps_ points at them).
  void adopt(std::unique_ptr<cni::Network> network, std::unique_ptr<PodKernel> kernel) {
    own_network_ = std::move(network);
    own_kernel_ = std::move(kernel);
  }
  void adopt_streams(std::unique_ptr<kubestream::StreamServer> streams) {
    own_streams_ = std::move(streams);
    streams_ = own_streams_.get();
  }

  // --- pod sandboxes (pods/sandbox_rpcs.cc)
  grpc::Status RunPodSandbox(const rt::RunPodSandboxRequest&, rt::RunPodSandboxResponse*) override;
  grpc::Status StopPodSandbox(const rt::StopPodSandboxRequest&, rt::StopPodSandboxResponse*) override;
  grpc::Status RemovePodSandbox(const rt::RemovePodSandboxRequest&, rt::RemovePodSandboxResponse*) override;
  grpc::Status PodSandboxStatus(const rt::PodSandboxStatusRequest&, rt::PodSandboxStatusResponse*) override;
  grpc::Status ListPodSandbox(const rt::ListPodSandboxRequest&, rt::ListPodSandboxResponse*) override;

  // --- containers (containers/container_rpcs.cc)
  grpc::Status CreateContainer(const rt::CreateContainerRequest&, rt::CreateContainerResponse*) override;
  grpc::Status StartContainer(const rt::StartContainerRequest&, rt::StartContainerResponse*) override;
  grpc::Status StopContainer(const rt::StopContainerRequest&, rt::StopContainerResponse*) override;
  grpc::Status RemoveContainer(const rt::RemoveContainerRequest&, rt::RemoveContainerResponse*) override;
  grpc::Status ListContainers(const rt::ListContainersRequest&, rt::ListContainersResponse*) override;
  grpc::Status ContainerStatus(const rt::ContainerStatusRequest&, rt::ContainerStatusResponse*) override;
  grpc::Status UpdateContainerResources(const rt::UpdateContainerResourcesRequest&,
                                        rt::UpdateContainerResourcesResponse*) override;
  grpc::Status ReopenContainerLog(const rt::ReopenContainerLogRequest&, rt::ReopenContainerLogResponse*) override;

  // --- processes and streams (containers/process_rpcs.cc)
  grpc::Status ExecSync(const rt::ExecSyncRequest&, rt::ExecSyncResponse*) override;
  grpc::Status Exec(const rt::ExecRequest&, rt::ExecResponse*) override;
  grpc::Status Attach(const rt::AttachRequest&, rt::AttachResponse*) override;
  grpc::Status PortForward(const rt::PortForwardRequest&, rt::PortForwardResponse*) override;

  // --- stats and metrics (containers/stats_rpcs.cc)
  grpc::Status ContainerStats(const rt::ContainerStatsRequest&, rt::ContainerStatsResponse*) override;
  grpc::Status ListContainerStats(const rt::ListContainerStatsRequest&, rt::ListContainerStatsResponse*) override;
  grpc::Status PodSandboxStats(const rt::PodSandboxStatsRequest&, rt::PodSandboxStatsResponse*) override;
  grpc::Status ListPodSandboxStats(const rt::ListPodSandboxStatsRequest&, rt::ListPodSandboxStatsResponse*) override;
  grpc::Status ListPodSandboxMetrics(const rt::ListPodSandboxMetricsRequest&,
                                     rt::ListPodSandboxMetricsResponse*) override;
  grpc::Status ListMetricDescriptors(const rt::ListMetricDescriptorsRequest&,
                                     rt::ListMetricDescriptorsResponse*) override;
  grpc::Status CheckpointContainer(const rt::CheckpointContainerRequest&, rt::CheckpointContainerResponse*) override;
  std::unique_ptr<ContainerEventWatch> WatchContainerEvents(const rt::GetEventsRequest&) override;

  Result<void> network_ready() override;
  Result<void> update_runtime_config(const rt::RuntimeConfig& config) override;

  // --- kubestream::StreamRuntime (containers/stream_runtime.cc)
  Result<int> exec(const std::string& container_id, const std::vector<std::string>& cmd, bool tty,
                   kubestream::StreamIo io, kubestream::SetResize set_resize) override;
  Result<int> attach(const std::string& container_id, bool tty, kubestream::StreamIo io,
                     kubestream::SetResize set_resize) override;
  Result<UniqueFd> port_forward(const std::string& pod_sandbox_id, uint16_t port) override;

 private:
  struct Pod {
    std::mutex op_mu;  // run/stop/remove of this pod, one at a time
    PodSandbox sandbox;  // fields guarded by PodService::mu_
  };
  explicit PodService(PodServiceDeps deps, PodStore store);

  std::shared_ptr<Pod> find_pod(const std::string& id_or_prefix);  // null when none; takes mu_
  PodSandbox snapshot(const Pod& p);                                // a copy under mu_
  Result<void> persist(const PodSandbox& p);
  cni::AttachRequest cni_request(const PodSandbox& p) const;
  // The pod's containers (ids), from the engine's records.
  std::vector<std::string> containers_of(const std::string& pod_id);
  Result<void> stop_pod_locked(const std::shared_ptr<Pod>& p);  // op_mu held
  void release_pod_files(const PodSandbox& p);
  // A VM pod's keeper: asked to end, waited for (bounded), its dir removed.
  void stop_vm(const std::shared_ptr<Pod>& p);
  void fill_status(const PodSandbox& p, rt::PodSandboxStatus* out);

  std::unique_ptr<cni::Network> own_network_;
  std::unique_ptr<PodKernel> own_kernel_;
  PodServiceDeps deps_;
  PodStore store_;
  kubestream::StreamServer* streams_ = nullptr;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Pod>> pods_;   // by id
  std::map<std::string, std::string> reserved_;        // reserved_name() -> id
  std::string pod_cidr_;                               // UpdateRuntimeConfig
  // Last: stopped (its sessions ended) before anything it calls goes away.
  std::unique_ptr<kubestream::StreamServer> own_streams_;
};

}  // namespace berth::cri
