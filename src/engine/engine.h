// berthd's engine: opens the stores and builds the services (containers,
// images, networks, volumes, events) with their seams wired, and hands each
// API area its narrow backend. It never sees HTTP.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backend/build.h"
#include "backend/containers.h"
#include "backend/distribution.h"
#include "backend/exec.h"
#include "backend/image_diff.h"
#include "backend/images.h"
#include "backend/networks.h"
#include "backend/system.h"
#include "backend/volumes.h"
#include "base/error.h"
#include "engine/events.h"
#include "idmap/remap.h"

#include "stats/engine_counters.h"

namespace berth::image {
class ImageService;
}
namespace berth::volume {
class VolumeService;
}
namespace berth::metadata {
class ContainerStore;
}
namespace berth::task {
class TaskRuntime;
}

namespace berth::vm {
class VmPool;
}

namespace berth::engine {

class ContainerService;
class NetworkService;
class ImageBackend;
class NetworkAttacher;
class RootfsProvider;
class UsernsRemapView;

struct EngineConfig {
  std::string data_root = "/var/lib/berth";  // images, container records, logs
  std::string exec_root = "/run/berth";      // task state, bundles, sandboxes
  std::string shim_path;                     // berth-shim
  std::string init_path;                     // berth-init (for --init)
  // The microVM runtime `berth-vm` (alias `vm`, issue 15): berth-shim runs
  // berth-vm-runner, which boots kernel + initrd (the guest agent) in QEMU.
  std::string vm_runner_path;                // berth-vm-runner
  std::string vm_kernel, vm_initrd;
  std::string vm_accel = "auto";             // auto | kvm | tcg
  uint64_t vm_memory_mib = 128;              // a guest's size without --memory
  // --vm-pool N: booted VMs of the default size kept ready (vm/pool.h); 0 = none.
  unsigned vm_pool = 0;
  std::string default_runtime;               // "" = berth (daemon.json "default-runtime")
  std::string cgroup_parent = "berth";
  std::string log_driver = "json-file";            // daemon.json "log-driver"
  std::map<std::string, std::string> log_options;  // daemon.json "log-opts"
  std::string bridge = "berth0";  // the default network's bridge (daemon.json "bridge")
  std::string bip;                 // its gateway CIDR (daemon.json "bip"); chosen when empty
  std::string host_gateway_ip;     // what --add-host NAME:host-gateway gives; empty: the default bridge's gateway
  std::string firewall_table = "berth";
  // Where bridge and nftables claims are locked (net/host_claim.h); empty:
  // the host-wide /run/berth-locks. A rootless daemon's network namespace is
  // its own, so its claims live under its exec root.
  std::string claim_dir;
  int mtu = 1500;  // bridges' and containers' MTU (a rootless daemon: its network stack's)
  // Registries (daemon.json "insecure-registries", "registry-mirrors",
  // "max-concurrent-downloads"); certificates in certs_dirs/HOST:PORT/ (*.crt,
  // client *.cert + *.key); mirrors and endpoints of any registry in
  // config_dirs/HOST/hosts.toml (containerd's layout), the first dir first.
  std::vector<std::string> insecure_registries;
  std::vector<std::string> registry_mirrors;  // for docker.io, normalized ("https://mirror/")
  std::vector<std::string> registry_certs_dirs = {"/etc/berth/certs.d", "/etc/docker/certs.d"};
  std::vector<std::string> registry_config_dirs = {"/etc/berth/certs.d"};
  int max_concurrent_downloads = 3;
  unsigned push_compression_threads = 0;  // daemon.json "push-compression-threads"; 0: the cores
  // --userns-remap (resolved): containers get a user namespace with these ids.
  std::optional<idmap::Remap> userns_remap;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(const EngineConfig& cfg);
  ~Engine();

  // Follows containers still running from before a restart (live restore).
  Result<void> restore();
  // Stops following containers (they keep running): for shutdown.
  void shutdown();

  // The services, for front ends that speak the engine's types (builder, CRI).
  ContainerService& containers() { return *containers_; }
  Events& events() { return events_; }
  const std::string& init_path() const { return cfg_.init_path; }
  const EngineConfig& config() const { return cfg_; }

  // /metrics: every container's and the engine's figures in Prometheus text
  // format (stats/prom_text.h); the counters the API server adds to.
  std::string metrics_text();
  // Shared: the API server's threads may count a last request after the engine is gone.
  std::shared_ptr<stats::EngineCounters> counters() { return counters_; }

  // The narrow backend each API area sees.
  backend::ContainerBackend& container_backend();
  backend::ExecBackend& exec_backend();
  backend::NetworkBackend& network_backend() { return *network_backend_; }
  backend::VolumeBackend& volume_backend() { return *volume_backend_; }
  backend::SystemBackend& system_backend() { return *system_backend_; }
  backend::BuildBackend& build_backend() { return *build_backend_; }
  backend::DistributionBackend& distribution_backend() { return *distribution_backend_; }
  backend::ImageBackend& image_backend() { return *image_api_; }
  backend::ImageDiffBackend& image_diff_backend() { return *image_diff_backend_; }

 private:
  Engine() = default;

  EngineConfig cfg_;
  std::shared_ptr<stats::EngineCounters> counters_ = std::make_shared<stats::EngineCounters>();
  Events events_;
  std::mutex image_mu_;  // the image service is not thread-safe
  std::unique_ptr<image::ImageService> images_;
  std::unique_ptr<metadata::ContainerStore> store_;
  std::unique_ptr<volume::VolumeService> volumes_;
  std::unique_ptr<NetworkService> networks_;
  std::unique_ptr<NetworkAttacher> attacher_;
  std::unique_ptr<UsernsRemapView> remap_view_;
  std::unique_ptr<RootfsProvider> rootfs_;
  std::unique_ptr<vm::VmPool> vm_pool_;  // before the runtimes: their hook uses it
  std::map<std::string, std::unique_ptr<task::TaskRuntime>> runtimes_;
  std::unique_ptr<ContainerService> containers_;
  std::unique_ptr<ImageBackend> image_backend_;
  std::unique_ptr<backend::ImageBackend> image_api_;
  std::unique_ptr<backend::NetworkBackend> network_backend_;
  std::unique_ptr<backend::VolumeBackend> volume_backend_;
  std::unique_ptr<backend::SystemBackend> system_backend_;
  std::unique_ptr<backend::BuildBackend> build_backend_;
  std::unique_ptr<backend::DistributionBackend> distribution_backend_;
  std::unique_ptr<backend::ImageDiffBackend> image_diff_backend_;
};

}  // namespace berth::engine
