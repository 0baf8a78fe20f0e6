#include "cri_endpoint.h"

#include <unistd.h>

#include <cstdlib>

namespace berthd {

using namespace berth;

namespace {

// A helper given by name alone is run from PATH, as the engine runs it.
bool runnable(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = ::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<CriEndpoint>> CriEndpoint::start(const DaemonConfig& cfg, engine::Engine& engine,
                                                        const std::string& version, const std::string& shim_path) {
  std::unique_ptr<CriEndpoint> ep(new CriEndpoint());
  cri::RuntimeInfo info;
  info.version = version;
  info.cgroup_driver = "cgroupfs";  // berth drives cgroupfs only
  info.socket = cfg.cri_socket;
  // A pod in one microVM when berthd has a guest image (cri/pods/vm_pod.h).
  if (!engine.config().vm_kernel.empty() && !engine.config().vm_initrd.empty()) info.handlers = {"vm", "berth-vm"};
  // The engine is open (berthd got here); containers start while its monitor
  // binary can be run and its state dir written.
  auto runtime_ready = [shim_path, exec_root = cfg.exec_root]() -> Result<void> {
    if (!runnable(shim_path)) return fail(Errc::Unavailable, "the container monitor " + shim_path + " cannot be run");
    if (::access(exec_root.c_str(), W_OK) != 0) return fail_errno("the exec root " + exec_root + " is not writable");
    return {};
  };
  // The pod side (src/cri/pods): sandboxes and containers over the engine.
  cri::PodBackendDeps pd;
  pd.engine = &engine;
  pd.containers = &engine.containers();
  pd.images = &engine.image_backend();
  pd.distribution = &engine.distribution_backend();
  pd.data_dir = cfg.data_root + "/cri";
  pd.state_dir = cfg.exec_root + "/cri";
  pd.cgroup_driver = info.cgroup_driver;
  pd.cgroup_parent = cfg.cgroup_parent.empty() ? "berth" : cfg.cgroup_parent;
  pd.runtime_version = version;
  pd.cni_conf_dirs = {cfg.cni_conf_dir};
  pd.cni_bin_dirs = cfg.cni_bin_dirs;
  pd.cni_cache_dir = cfg.cni_cache_dir;
  pd.stream_address = cfg.cri_stream_address;
  pd.stream_port = static_cast<uint16_t>(cfg.cri_stream_port);
  ep->pods_ = TRY_CTX(cri::make_pod_backend(pd), "starting the CRI's pod side");
  ep->runtime_ = std::make_unique<cri::RuntimeServiceImpl>(info, *ep->pods_, runtime_ready);
  // The image store's directories (image::ImageService::open's layout under the data root).
  ep->images_ = std::make_unique<cri::ImageServiceImpl>(
      engine.image_backend(), engine.distribution_backend(),
      std::vector<std::string>{cfg.data_root + "/content", cfg.data_root + "/snapshots"});
  cri::ServerOptions so;
  so.socket = cfg.cri_socket;
  so.group = cfg.group;
  ep->server_ = TRY(cri::Server::start(so, *ep->runtime_, *ep->images_));
  return ep;
}

CriEndpoint::~CriEndpoint() {
  if (server_) server_->stop();
  server_.reset();
  pods_.reset();
}

}  // namespace berthd
