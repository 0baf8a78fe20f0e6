// make_pod_backend: the CNI network, the kernel seam, the pod service and
// its streaming server, from berthd's flags.
#include <filesystem>

#include "base/log.h"
#include "cri/pods/pod_service.h"
#include "engine/engine.h"

namespace berth::cri {

Result<std::unique_ptr<PodBackend>> make_pod_backend(const PodBackendDeps& d) {
  if (!d.containers) return fail(Errc::InvalidArgument, "make_pod_backend: no container service");
  cni::NetworkOptions net;
  net.conf_dirs = d.cni_conf_dirs;
  net.bin_dirs = d.cni_bin_dirs;
  net.cache_dir = d.cni_cache_dir.empty()
                      ? (std::filesystem::path(d.data_dir).parent_path() / "cni" / "results").string()
                      : d.cni_cache_dir;
  auto network = TRY(cni::Network::open(net));
  auto kernel = make_pod_kernel();
  PodServiceDeps deps;
  deps.containers = d.containers;
  deps.events = d.engine ? &d.engine->events() : nullptr;
  deps.network = network.get();
  deps.kernel = kernel.get();
  if (d.engine) deps.init_path = d.engine->init_path();
  deps.data_dir = d.data_dir;
  deps.state_dir = d.state_dir;
  deps.cgroup_parent = d.cgroup_parent;
  if (d.engine) {
    const auto& ec = d.engine->config();
    deps.vm = VmPodConfig{ec.vm_runner_path, ec.vm_kernel, ec.vm_initrd, ec.vm_accel, ec.vm_memory_mib};
  }
  auto service = TRY(PodService::open(std::move(deps)));
  service->adopt(std::move(network), std::move(kernel));
  kubestream::ServerOptions so;
  so.address = d.stream_address;
  so.port = d.stream_port;
  // Without a streaming server the pods still run; Exec, Attach and
  // PortForward answer UNAVAILABLE saying why.
  auto streams = kubestream::StreamServer::start(so, *service);
  if (streams) service->adopt_streams(std::move(*streams));
  else log::warn("the CRI streaming server did not start: {}", streams.error().str());
  return std::unique_ptr<PodBackend>(std::move(service));
}

}  // namespace berth::cri
