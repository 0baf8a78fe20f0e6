#include "engine/engine.h"

#include "engine/build/build_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/file.h"
#include "engine/area_backends.h"
#include "engine/build/build_service.h"
#include "engine/container_service.h"
#include "engine/distribution/registry_distribution.h"
#include "engine/host.h"
#include "engine/image_rootfs.h"
#include "engine/images/image_api.h"
#include "engine/images/image_backend.h"
#include "engine/images/image_diff_service.h"
#include "engine/networks/network_service.h"
#include "engine/networks/service_attacher.h"
#include "image/service.h"
#include "metadata/container_store.h"
#include "task/shim_task.h"
#include "vm/machine.h"
#include "vm/pod_keeper.h"
#include "vm/pool.h"
#include "volume/service.h"

namespace berth::engine {

Engine::~Engine() { shutdown(); }

Result<std::unique_ptr<Engine>> Engine::open(const EngineConfig& cfg) {
  std::unique_ptr<Engine> e(new Engine());
  e->cfg_ = cfg;
  std::error_code ec;
  for (const auto& dir : {cfg.data_root, cfg.exec_root}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Errc::Internal, "creating " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0711);
  }
  std::string db = cfg.data_root + "/metadata.db";
  e->images_ = TRY_CTX(image::ImageService::open(cfg.data_root), "opening the image store in " + cfg.data_root);
  e->store_ = std::make_unique<metadata::ContainerStore>(TRY(metadata::ContainerStore::open(db)));
  e->volumes_ = TRY_CTX(volume::VolumeService::open(cfg.data_root, db), "opening the volume store");

  Engine* self = e.get();
  NetworkConfig ncfg;
  ncfg.db_path = db;
  ncfg.default_bridge = cfg.bridge;
  ncfg.default_bip = cfg.bip;
  ncfg.firewall_table = cfg.firewall_table;
  if (!cfg.claim_dir.empty()) ncfg.claim_dir = cfg.claim_dir;
  ncfg.mtu = cfg.mtu;
  e->networks_ = TRY_CTX(NetworkService::open(ncfg, [self] { return self->containers_ ? self->containers_->network_views() : std::vector<NetworkContainerView>{}; }),
                         "setting up networks");
  e->attacher_ = std::make_unique<ServiceAttacher>(*e->networks_);
  auto rootfs = std::make_unique<ImageRootfs>(*e->images_, e->image_mu_);
  if (cfg.userns_remap) {
    e->remap_view_ = TRY(UsernsRemapView::open(*cfg.userns_remap, cfg.data_root + "/snapshots",
                                               cfg.exec_root + "/userns-remap/snapshots"));
    rootfs->set_remap_view(e->remap_view_.get());
  }
  e->rootfs_ = std::move(rootfs);

  task::ShimTaskRuntimeConfig shim;
  shim.shim_binary = cfg.shim_path;
  shim.runtime_root = cfg.exec_root + "/runtime";
  shim.state_root = cfg.exec_root + "/shims";
  shim.standby_shim = true;
  auto berth_runtime = std::make_unique<task::ShimTaskRuntime>(shim);
  std::string default_runtime = berth_runtime->name();
  e->runtimes_[default_runtime] = std::move(berth_runtime);
  task::ShimTaskRuntimeConfig vm = shim;
  vm.name = "berth-vm";
  vm.state_root = cfg.exec_root + "/vms";
  vm.container_shim_args = {"--vm-runner", cfg.vm_runner_path, "--vm-arg", "--kernel", "--vm-arg", cfg.vm_kernel,
                            "--vm-arg", "--initrd", "--vm-arg", cfg.vm_initrd, "--vm-arg", "--accel",
                            "--vm-arg", cfg.vm_accel, "--vm-arg", "--memory-mib",
                            "--vm-arg", std::to_string(cfg.vm_memory_mib)};
  vm.exec_shim_args = {"--vm-runner", cfg.vm_runner_path};
  // What keepers killed without cleaning left behind (a pool of an earlier run).
  std::string pool_root = cfg.exec_root + "/vm-pool";
  vm::sweep_pool_root(pool_root);
  if (cfg.vm_pool > 0) {
    vm::KeeperLauncherConfig kc{cfg.vm_runner_path, pool_root,
                                {"--kernel", cfg.vm_kernel, "--initrd", cfg.vm_initrd, "--accel", cfg.vm_accel,
                                 "--memory-mib", std::to_string(cfg.vm_memory_mib)}};
    // The default size: --vm-memory and one vCPU (guest_vcpus without --cpus).
    vm::VmShape shape{vm::guest_memory_mib(0, cfg.vm_memory_mib), 1};
    e->vm_pool_ = std::make_unique<vm::VmPool>(cfg.vm_pool, shape, vm::keeper_launcher(std::move(kc)));
  }
  vm.prepare_container = [pool = e->vm_pool_.get(), default_mib = cfg.vm_memory_mib](
                             const task::CreateRequest& r, std::vector<std::string>& args) -> std::shared_ptr<void> {
    auto text = read_file(r.bundle + "/config.json");
    if (!text) return nullptr;  // the runner says why
    auto config = nlohmann::json::parse(*text, nullptr, false);
    // A CRI VM pod's container joins the pod's VM (docs/vm.md "Pods in one VM").
    if (auto pod = vm::vm_pod_socket(config); !pod.empty()) {
      args.insert(args.end(), {"--vm-arg", "--pod", "--vm-arg", pod});
      return nullptr;
    }
    if (!pool) return nullptr;
    auto wanted = vm::shape_for(config, default_mib, static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN)));
    if (!wanted) return nullptr;  // refused by the runner, cold: no pooled VM wasted
    auto claimed = pool->claim(*wanted);
    if (!claimed) return nullptr;  // another size, or none idle: the cold path
    args.insert(args.end(), {"--vm-arg", "--adopt", "--vm-arg", claimed->socket});
    return std::make_shared<vm::PooledVm>(std::move(*claimed));
  };
  e->runtimes_["berth-vm"] = std::make_unique<task::ShimTaskRuntime>(vm);
  if (!cfg.default_runtime.empty()) {
    std::string wanted = cfg.default_runtime == "vm" ? "berth-vm" : cfg.default_runtime;
    if (!e->runtimes_.count(wanted))
      return fail(Errc::InvalidArgument, "default runtime '" + cfg.default_runtime + "': berthd has berth and berth-vm (vm)");
    default_runtime = wanted;
  }

  ContainerServiceConfig ccfg;
  ccfg.data_root = cfg.data_root;
  ccfg.exec_root = cfg.exec_root;
  ccfg.init_path = cfg.init_path;
  ccfg.cgroup_parent = cfg.cgroup_parent;
  ccfg.default_runtime = default_runtime;
  ccfg.log_driver = cfg.log_driver;
  ccfg.log_options = cfg.log_options;
  ccfg.userns_remap = cfg.userns_remap;
  ccfg.host_gateway_ip = cfg.host_gateway_ip;
  ContainerServiceDeps deps;
  deps.store = e->store_.get();
  deps.rootfs = e->rootfs_.get();
  deps.networks = e->attacher_.get();
  deps.volumes = e->volumes_.get();
  deps.events = &e->events_;
  for (auto& [name, r] : e->runtimes_) deps.runtimes[name] = r.get();
  deps.runtimes["vm"] = deps.runtimes["berth-vm"];  // `berth run --runtime vm`, the CRI handler`
  deps.host = host_info();
  deps.host.userns_remap = cfg.userns_remap.has_value();
  e->containers_ = TRY(ContainerService::open(std::move(ccfg), std::move(deps)));

  e->volumes_->set_in_use([self](const std::string& name) { return self->containers_->volume_users(name); });
  e->volumes_->set_events([self](const std::string& action, const std::string& name,
                                 const std::map<std::string, std::string>& attrs) {
    self->events_.publish({"volume", action, name, attrs, 0});
  });
  e->image_backend_ = std::make_unique<ImageBackend>(
      *e->images_, e->image_mu_, e->events_,
      [self](const std::string& id, bool running_only) { return self->containers_->containers_using(id, running_only); });
  e->image_api_ = std::make_unique<ImageApi>(*e->image_backend_);
  e->network_backend_ = std::make_unique<NetworkBackendImpl>(*e->networks_, *e->containers_, e->events_);
  e->volume_backend_ = std::make_unique<VolumeBackendImpl>(*e->volumes_);
  e->system_backend_ = std::make_unique<SystemBackendImpl>(
      *e->containers_, e->events_,
      [self] {
        std::lock_guard lk(self->image_mu_);
        auto l = self->images_->metadata().list();
        return l ? static_cast<int>(l->size()) : 0;
      },
      cfg.log_driver, host_info().swap_accounting, host_info().cgroup2);
  RegistryConfig rcfg;
  rcfg.endpoints.insecure_registries = cfg.insecure_registries;
  rcfg.endpoints.certs_dirs = cfg.registry_certs_dirs;
  rcfg.endpoints.mirrors = cfg.registry_mirrors;
  rcfg.endpoints.hosts_dirs = cfg.registry_config_dirs;
  rcfg.max_concurrent_downloads = cfg.max_concurrent_downloads;
  rcfg.compression_threads = cfg.push_compression_threads;
  e->image_diff_backend_ = std::make_unique<ImageDiffService>(*e->image_backend_, *e->images_, e->image_mu_, rcfg.endpoints);
  auto distribution = std::make_unique<RegistryDistribution>(*e->images_, e->image_mu_, e->events_, std::move(rcfg));
  distribution->count_into(e->counters_.get());
  e->distribution_backend_ = std::move(distribution);
  auto builder = TRY_CTX(BuildService::open(cfg.data_root + "/builder", *e->images_, e->image_mu_, *e->containers_,
                                            *e->distribution_backend_, *e->image_backend_),
                         "opening the builder");
  builder->count_into(e->counters_.get());
  e->build_backend_ = std::move(builder);
  return e;
}

std::string Engine::metrics_text() {
  stats::prom::TextWriter w;
  stats::EngineGauges gauges;
  containers_->write_metrics(w, gauges);
  {
    std::lock_guard lk(image_mu_);
    auto l = images_->metadata().list();
    gauges.images = l ? l->size() : 0;
  }
  counters_->write(w, gauges);
  return w.take();
}

Result<void> Engine::restore() { return containers_->restore(); }

void Engine::shutdown() {
  if (containers_) containers_->shutdown();
  vm_pool_.reset();  // idle pooled VMs end with berthd; adopted ones are their containers'
}

backend::ContainerBackend& Engine::container_backend() { return *containers_; }
backend::ExecBackend& Engine::exec_backend() { return *containers_; }

}  // namespace berth::engine
