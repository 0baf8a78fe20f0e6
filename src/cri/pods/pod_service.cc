// Opening the pod service (records back after a restart) and what the pod
// and container RPCs share.
#include "cri/pods/pod_service.h"

#include "base/log.h"
#include "cri/pods/status.h"
#include "engine/container_service.h"

namespace berth::cri {

PodService::PodService(PodServiceDeps deps, PodStore store) : deps_(std::move(deps)), store_(std::move(store)) {}

Result<std::unique_ptr<PodService>> PodService::open(PodServiceDeps deps) {
  if (!deps.containers || !deps.network || !deps.kernel)
    return fail(Errc::InvalidArgument, "the pod service needs the container service, a CNI network and the kernel seam");
  auto store = TRY(PodStore::open(deps.data_dir + "/pods"));
  std::unique_ptr<PodService> s(new PodService(std::move(deps), std::move(store)));
  for (auto& sandbox : s->store_.load_all()) {
    // A ready pod whose namespaces are gone (a reboot) cannot run containers.
    bool lost = (!sandbox.netns.empty() && !s->deps_.kernel->is_held(sandbox.netns)) ||
                (!sandbox.ipcns.empty() && !s->deps_.kernel->is_held(sandbox.ipcns));
    // A VM pod's VM outlives berthd with its keeper; one that ended meanwhile
    // (QEMU died, a reboot) leaves the pod unable to run containers.
    if (sandbox.is_vm() && sandbox.vm_keeper && !vm_keeper_alive(sandbox.vm_keeper, sandbox.vm_dir)) {
      if (sandbox.state == rt::SANDBOX_READY) log::warn("pod {}: its VM's keeper {} is gone", sandbox.id, sandbox.vm_keeper);
      lost = true;
    }
    if (sandbox.state == rt::SANDBOX_READY && lost) {
      log::warn("pod {} lost its namespaces (a reboot?): NOTREADY", sandbox.id);
      sandbox.state = rt::SANDBOX_NOTREADY;
      (void)s->store_.put(sandbox);
    }
    auto pod = std::make_shared<Pod>();
    s->reserved_[sandbox.reserved_name()] = sandbox.id;
    pod->sandbox = std::move(sandbox);
    s->pods_[pod->sandbox.id] = std::move(pod);
  }
  // Attachments of pods no record knows (removed while berthd was down, or a
  // crash between CNI ADD and the record) are torn down, as libcni's users do.
  if (auto cached = s->deps_.network->attachments()) {
    for (const auto& a : *cached) {
      if (s->pods_.count(a.container_id)) continue;
      cni::AttachRequest r;
      r.container_id = a.container_id;
      r.ifname = a.ifname;
      r.netns_path = a.netns_path;
      if (auto d = s->deps_.network->detach(r); !d)
        log::warn("tearing down the CNI attachment of unknown pod {}: {}", a.container_id, d.error().str());
    }
  }
  return s;
}

std::shared_ptr<PodService::Pod> PodService::find_pod(const std::string& ref) {
  if (ref.empty()) return nullptr;
  std::lock_guard lk(mu_);
  if (auto it = pods_.find(ref); it != pods_.end()) return it->second;
  std::shared_ptr<Pod> found;
  for (auto it = pods_.lower_bound(ref); it != pods_.end() && it->first.rfind(ref, 0) == 0; ++it) {
    if (found) return nullptr;  // ambiguous prefix
    found = it->second;
  }
  return found;
}

PodSandbox PodService::snapshot(const Pod& p) {
  std::lock_guard lk(mu_);
  return p.sandbox;
}

Result<void> PodService::persist(const PodSandbox& p) { return store_.put(p); }

cni::AttachRequest PodService::cni_request(const PodSandbox& p) const {
  cni::AttachRequest r;
  r.container_id = p.id;
  r.netns_path = p.netns;
  const auto& m = p.metadata();
  r.args = {{"IgnoreUnknown", "1"},
            {"K8S_POD_NAMESPACE", m.namespace_()},
            {"K8S_POD_NAME", m.name()},
            {"K8S_POD_INFRA_CONTAINER_ID", p.id},
            {"K8S_POD_UID", m.uid()}};
  for (const auto& pm : p.config.port_mappings()) {
    if (pm.host_port() <= 0) continue;  // only mappings with a host port are published
    cni::PortMapping out;
    out.host_port = static_cast<uint16_t>(pm.host_port());
    out.container_port = static_cast<uint16_t>(pm.container_port());
    out.protocol = pm.protocol() == rt::UDP ? "udp" : pm.protocol() == rt::SCTP ? "sctp" : "tcp";
    out.host_ip = pm.host_ip();
    r.port_mappings.push_back(std::move(out));
  }
  r.cgroup_path = p.config.linux().cgroup_parent();
  return r;
}

std::vector<std::string> PodService::containers_of(const std::string& pod_id) {
  model::ListOptions opts;
  opts.all = true;
  opts.filters["namespace"] = {kCriNamespace};
  opts.filters["label"] = {std::string(kSandboxIdLabel) + "=" + pod_id};
  std::vector<std::string> ids;
  auto list = deps_.containers->list(opts);
  if (!list) return ids;
  for (const auto& c : *list) ids.push_back(c.id);
  return ids;
}

Result<void> PodService::network_ready() { return deps_.network->ready(); }

Result<void> PodService::update_runtime_config(const rt::RuntimeConfig& config) {
  // The pod CIDR is the CNI config's business (host-local's range); kept for the status.
  std::lock_guard lk(mu_);
  pod_cidr_ = config.network_config().pod_cidr();
  return {};
}

}  // namespace berth::cri
