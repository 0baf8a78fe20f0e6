// RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus and
// ListPodSandbox. A pod is its held namespaces, /etc files, /dev/shm and CNI
// attachment; its containers are the engine's (containers/).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <thread>

#include <google/protobuf/util/json_util.h>

#include "base/defer.h"
#include "base/file.h"
#include "base/log.h"
#include "base/step_timer.h"
#include "cri/pods/pod_files.h"
#include "cri/pods/pod_service.h"
#include "cri/label_selector.h"
#include "cri/pods/status.h"
#include "vm/pod_keeper.h"
#include "engine/container_service.h"
#include "engine/names.h"

namespace berth::cri {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string without_prefix_length(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// f(id) for every id at once (the first in this thread); the first error.
Result<void> for_each_at_once(const std::vector<std::string>& ids,
                              const std::function<Result<void>(const std::string&)>& f) {
  std::vector<Result<void>> results(ids.size());
  std::vector<std::thread> others;
  for (size_t i = 1; i < ids.size(); ++i) others.emplace_back([&, i] { results[i] = f(ids[i]); });
  if (!ids.empty()) results[0] = f(ids[0]);
  for (auto& t : others) t.join();
  for (size_t i = 0; i < ids.size(); ++i)
    if (!results[i]) return results[i];
  return {};
}

// A ready VM pod whose VM ended (QEMU died: its keeper with it) cannot run
// containers: NOTREADY, as the kubelet then recreates the pod.
bool vm_lost(const PodSandbox& sb) {
  return sb.is_vm() && sb.state == rt::SANDBOX_READY && !vm_keeper_alive(sb.vm_keeper, sb.vm_dir);
}

}  // namespace

grpc::Status PodService::RunPodSandbox(const rt::RunPodSandboxRequest& req, rt::RunPodSandboxResponse* resp) {
  const auto& config = req.config();
  const auto& m = config.metadata();
  if (!config.has_metadata()) return invalid_argument("RunPodSandbox: config.metadata is required");
  if (m.name().empty()) return invalid_argument("RunPodSandbox: config.metadata.name is required");
  if (m.uid().empty()) return invalid_argument("RunPodSandbox: config.metadata.uid is required");
  if (m.namespace_().empty()) return invalid_argument("RunPodSandbox: config.metadata.namespace is required");
  // "vm": the whole pod in one microVM (vm_pod.h).
  bool vm_pod = is_vm_handler(req.runtime_handler());
  if (!vm_pod && !req.runtime_handler().empty() && req.runtime_handler() != "berth")
    return not_found("RunPodSandbox: no runtime handler \"" + req.runtime_handler() +
                     "\" (berth has \"berth\" and \"vm\")");
  if (vm_pod) {
    if (auto why = vm_pod_refusal(config); !why.empty())
      return invalid_argument("RunPodSandbox: runtime handler \"" + req.runtime_handler() + "\": " + why);
    if (deps_.vm.runner.empty() || deps_.vm.kernel.empty() || deps_.vm.initrd.empty())
      return to_status(Error{Errc::Unavailable, 0,
                             "RunPodSandbox: runtime handler \"vm\" needs berth-vm-runner and a guest kernel and "
                             "initrd (berthd's --vm-kernel and --vm-initrd)"});
  }
  const auto& nsopt = config.linux().security_context().namespace_options();
  if (nsopt.pid() == rt::TARGET || nsopt.network() == rt::TARGET || nsopt.ipc() == rt::TARGET)
    return invalid_argument("RunPodSandbox: namespace mode TARGET is for containers, not pods");
  if (nsopt.has_userns_options() && nsopt.userns_options().mode() != rt::NODE)
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "RunPodSandbox: user namespaces for pods are not supported by berth yet");
  if (auto r = check_hostname(config.hostname()); !r) return to_status(r.error());

  StepTimer steps;
  // Set up in a local copy; the pod is listed NOTREADY until it is complete.
  auto pod = std::make_shared<Pod>();
  PodSandbox sb;
  sb.id = engine::new_container_id();
  sb.config = config;
  sb.created_at_ns = now_ns();
  sb.dir = deps_.state_dir + "/pods/" + sb.id;
  sb.state = rt::SANDBOX_NOTREADY;
  if (vm_pod) sb.runtime_handler = "vm";
  pod->sandbox = sb;
  std::lock_guard op(pod->op_mu);
  {
    std::lock_guard lk(mu_);
    if (auto it = reserved_.find(sb.reserved_name()); it != reserved_.end())
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          "RunPodSandbox: the name \"" + sb.reserved_name() + "\" is reserved for pod " + it->second);
    reserved_[sb.reserved_name()] = sb.id;
    pods_[sb.id] = pod;  // visible (and its name taken) while it starts
  }
  bool ok = false;
  Defer undo([&] {
    if (ok) return;
    if (sb.vm_keeper || !sb.vm_cgroup.empty()) stop_vm_keeper(sb.vm_keeper, sb.vm_dir, sb.vm_cgroup);
    if (sb.network_attached) (void)deps_.network->detach(cni_request(sb));
    release_pod_files(sb);
    std::lock_guard lk(mu_);
    reserved_.erase(sb.reserved_name());
    pods_.erase(sb.id);
  });

  std::error_code ec;
  std::filesystem::create_directories(sb.dir, ec);
  if (ec) return to_status(Error{Errc::Internal, 0, "creating the pod directory " + sb.dir + ": " + ec.message()});
  steps.lap("dir");
  bool host_net = nsopt.network() == rt::NODE, host_ipc = nsopt.ipc() == rt::NODE;
  engine::HeldNamespacePaths held;
  if (!host_net) {
    held.net = sb.dir + "/net";
    held.uts = sb.dir + "/uts";  // a host-network pod has the host's UTS too (as the kubelet expects)
    held.hostname = config.hostname();
  }
  if (!host_ipc) held.ipc = sb.dir + "/ipc";
  if (auto r = deps_.kernel->hold_namespaces(held); !r) return to_status(r.error().wrap("RunPodSandbox"));
  sb.netns = held.net;
  sb.ipcns = held.ipc;
  sb.utsns = held.uts;
  steps.lap("hold_ns");
  // The CNI ADD (most of the time: the plugins) runs while the rest of the pod
  // is made; it needs only the held netns.
  Result<cni::AttachResult> attached;
  std::thread add;
  if (!host_net) add = std::thread([&, request = cni_request(sb)] { attached = deps_.network->attach(request); });
  // Joined before undo looks at the attachment (on every return).
  Defer join_add([&] {
    if (!add.joinable()) return;
    add.join();
    if (attached) sb.network_attached = true;
  });
  if (!host_ipc) {
    if (auto r = deps_.kernel->mount_shm(sb.dir + "/shm"); !r) return to_status(r.error());
    sb.shm = sb.dir + "/shm";
  }
  steps.lap("shm");
  // A PID namespace the pod's containers share needs a PID 1 to live.
  if (nsopt.pid() == rt::POD) {
    if (deps_.init_path.empty())
      return to_status(Error{Errc::Unavailable, 0,
                             "RunPodSandbox: a PID namespace shared by the pod needs berth-init (berthd --init-path)"});
    auto holder = deps_.kernel->start_pid_holder(deps_.init_path, sb.dir + "/pid");
    if (!holder) return to_status(holder.error().wrap("RunPodSandbox"));
    sb.pidns = sb.dir + "/pid";
    sb.pid_holder = *holder;
    steps.lap("pid_holder");
  }

  // The /etc files the containers bind.
  // The host's name with host networking or when none is given (a new UTS
  // namespace starts with it), as containerd.
  std::string hostname = config.hostname();
  if (host_net || hostname.empty()) {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    hostname = buf;
  }
  std::string host_resolv = read_file(deps_.host_resolv_conf).value_or("");
  std::string host_hosts = read_file(deps_.host_hosts).value_or("");
  for (const auto& [path, text] : {std::pair{sb.hostname_path(), hostname + "\n"},
                                   std::pair{sb.hosts_path(), pod_hosts(host_net, host_hosts)},
                                   std::pair{sb.resolv_conf_path(), pod_resolv_conf(config.dns_config(), host_resolv)}})
    if (auto r = write_file_atomic(path, text, 0644, false); !r) return to_status(r.error());
  steps.lap("etc_files");

  if (!host_net) {
    add.join();
    if (!attached)
      return to_status(attached.error().wrap("RunPodSandbox: setting up the pod network of " + sb.reserved_name()));
    sb.network_attached = true;
    for (const auto& ip : attached->ips) sb.ips.push_back(without_prefix_length(ip.address));
    steps.lap("cni_add");
  }
  if (vm_pod) {
    // The VM boots on the attached eth0 (its address goes to the guest). The
    // marker tells the berth-vm runtime that this pod's containers join it.
    if (auto r = write_file_atomic(sb.dir + "/" + vm::kVmPodMarker, "", 0644, false); !r) return to_status(r.error());
    sb.vm_dir = sb.dir + "/" + vm::kVmPodKeeperDir;
    // The VM is the pod's: accounted under its cgroup parent (as its containers).
    sb.vm_cgroup = vm_pod_cgroup(config.linux().cgroup_parent().empty() ? deps_.cgroup_parent
                                                                         : config.linux().cgroup_parent(), sb.id);
    auto keeper = start_vm_keeper(deps_.vm, sb.id, sb.vm_dir, sb.netns,
                                  vm_pod_shape(config, deps_.vm.default_memory_mib), sb.vm_cgroup);
    if (!keeper) return to_status(keeper.error().wrap("RunPodSandbox " + sb.reserved_name()));
    sb.vm_keeper = keeper->pid;
    sb.vm_socket = keeper->socket;
    steps.lap("vm_boot");
  }
  sb.state = rt::SANDBOX_READY;
  if (auto r = persist(sb); !r) return to_status(r.error());
  {
    std::lock_guard lk(mu_);
    pod->sandbox = sb;
  }
  steps.lap("record");
  log::debug("RunPodSandbox {}: {}", sb.id, steps.str());
  ok = true;
  resp->set_pod_sandbox_id(sb.id);
  return grpc::Status::OK;
}

void PodService::stop_vm(const std::shared_ptr<Pod>& p) {
  PodSandbox sb = snapshot(*p);
  if (!sb.vm_keeper && sb.vm_cgroup.empty()) return;
  stop_vm_keeper(sb.vm_keeper, sb.vm_dir, sb.vm_cgroup);
  std::lock_guard lk(mu_);
  p->sandbox.vm_keeper = 0;
  p->sandbox.vm_cgroup.clear();
}

void PodService::release_pod_files(const PodSandbox& sb) {
  if (sb.vm_keeper || !sb.vm_cgroup.empty()) stop_vm_keeper(sb.vm_keeper, sb.vm_dir, sb.vm_cgroup);
  if (!sb.pidns.empty()) deps_.kernel->stop_pid_holder(sb.pid_holder, sb.pidns);
  for (const auto& ns : {sb.netns, sb.ipcns, sb.utsns})
    if (!ns.empty()) deps_.kernel->release_namespace(ns);
  if (!sb.shm.empty()) deps_.kernel->unmount_shm(sb.shm);
  if (!sb.dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(sb.dir, ec);
  }
}

Result<void> PodService::stop_pod_locked(const std::shared_ptr<Pod>& p) {
  StepTimer steps;
  PodSandbox sb = snapshot(*p);
  // The CNI DEL (the longest part: plugin starts, the veth's removal) runs while
  // the containers are killed; neither needs the other. DEL runs from the CNI
  // cache, also after a crash; a missing netns is fine.
  Result<void> network_down;
  std::thread del;
  // A VM pod's eth0 is the guest's until its keeper ends: DEL after that.
  if ((sb.network_attached || !sb.netns.empty()) && !sb.is_vm())
    del = std::thread([&] { network_down = deps_.network->detach(cni_request(sb)); });
  // The kubelet stopped the containers with their grace periods already; what
  // is left is killed at once with SIGKILL, as containerd does.
  auto killed = for_each_at_once(containers_of(sb.id), [&](const std::string& cid) -> Result<void> {
    auto r = deps_.containers->stop(cid, 0, "SIGKILL");
    if (!r && r.error().code != Errc::NotFound) return std::unexpected(r.error().wrap("stopping container " + cid));
    return {};
  });
  steps.lap("kill_containers");
  if (sb.is_vm()) {
    stop_vm(p);  // the agent's shutdown, QEMU's end, eth0's addresses back
    steps.lap("vm_stop");
    if (sb.network_attached || !sb.netns.empty()) network_down = deps_.network->detach(cni_request(sb));
  }
  if (del.joinable()) del.join();
  steps.lap("cni_del");
  TRYV(killed);
  TRYV_CTX(network_down, "tearing down the network of pod " + sb.id);
  if (!sb.netns.empty()) deps_.kernel->release_namespace(sb.netns);
  // The shared PID namespace's PID 1 goes with the containers (as a pause process would).
  if (sb.pid_holder > 0) deps_.kernel->stop_pid_holder(sb.pid_holder, sb.pidns);
  steps.lap("release_ns");
  {
    std::lock_guard lk(mu_);
    p->sandbox.pid_holder = 0;
    p->sandbox.vm_keeper = 0;
    p->sandbox.network_attached = false;
    p->sandbox.state = rt::SANDBOX_NOTREADY;
    sb = p->sandbox;
  }
  auto persisted = persist(sb);
  steps.lap("record");
  log::debug("StopPodSandbox {}: {}", sb.id, steps.str());
  return persisted;
}

grpc::Status PodService::StopPodSandbox(const rt::StopPodSandboxRequest& req, rt::StopPodSandboxResponse*) {
  auto p = find_pod(req.pod_sandbox_id());
  // Stopping a pod that is gone is done (the kubelet retries after a restart).
  if (!p) return grpc::Status::OK;
  std::lock_guard op(p->op_mu);
  if (auto r = stop_pod_locked(p); !r) return to_status(r.error().wrap("StopPodSandbox"));
  return grpc::Status::OK;
}

grpc::Status PodService::RemovePodSandbox(const rt::RemovePodSandboxRequest& req, rt::RemovePodSandboxResponse*) {
  auto p = find_pod(req.pod_sandbox_id());
  if (!p) return grpc::Status::OK;  // NOT_FOUND is success for the CRI
  std::lock_guard op(p->op_mu);
  StepTimer steps;
  PodSandbox sb = snapshot(*p);
  if (sb.state == rt::SANDBOX_READY || sb.network_attached)
    if (auto r = stop_pod_locked(p); !r) return to_status(r.error().wrap("RemovePodSandbox"));
  auto removed = for_each_at_once(containers_of(sb.id), [&](const std::string& cid) -> Result<void> {
    auto r = deps_.containers->remove(cid, true, false);
    if (!r && r.error().code != Errc::NotFound) return std::unexpected(r.error().wrap("removing container " + cid));
    return {};
  });
  if (!removed) return to_status(removed.error().wrap("RemovePodSandbox"));
  steps.lap("remove_containers");
  sb = snapshot(*p);
  release_pod_files(sb);
  steps.lap("release_files");
  if (auto r = store_.remove(sb.id); !r) return to_status(r.error());
  steps.lap("record");
  log::debug("RemovePodSandbox {}: {}", sb.id, steps.str());
  std::lock_guard lk(mu_);
  pods_.erase(sb.id);
  if (auto it = reserved_.find(sb.reserved_name()); it != reserved_.end() && it->second == sb.id) reserved_.erase(it);
  return grpc::Status::OK;
}

void PodService::fill_status(const PodSandbox& sb, rt::PodSandboxStatus* st) {
  st->set_id(sb.id);
  *st->mutable_metadata() = sb.metadata();
  st->set_state(vm_lost(sb) ? rt::SANDBOX_NOTREADY : sb.state);
  st->set_created_at(sb.created_at_ns);
  st->set_runtime_handler(sb.runtime_handler);
  if (!sb.ips.empty()) {
    st->mutable_network()->set_ip(sb.ips[0]);
    for (size_t i = 1; i < sb.ips.size(); ++i) st->mutable_network()->add_additional_ips()->set_ip(sb.ips[i]);
  }
  auto* opts = st->mutable_linux()->mutable_namespaces()->mutable_options();
  *opts = sb.config.linux().security_context().namespace_options();
  *st->mutable_labels() = sb.config.labels();
  *st->mutable_annotations() = sb.config.annotations();
}

grpc::Status PodService::PodSandboxStatus(const rt::PodSandboxStatusRequest& req, rt::PodSandboxStatusResponse* resp) {
  auto p = find_pod(req.pod_sandbox_id());
  if (!p) return not_found("PodSandboxStatus: no pod sandbox " + req.pod_sandbox_id());
  PodSandbox sb = snapshot(*p);
  fill_status(sb, resp->mutable_status());
  resp->set_timestamp(now_ns());
  if (req.verbose()) {
    std::string config;
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(sb.config, &config, o);
    nlohmann::json info = {{"config", nlohmann::json::parse(config, nullptr, false)},
                           {"netns", sb.netns},
                           {"ipcns", sb.ipcns},
                           {"utsns", sb.utsns},
                           {"shm", sb.shm},
                           {"dir", sb.dir},
                           {"pause", "none: namespaces are held by bind mounts"}};
    if (sb.is_vm()) {
      info["runtime_handler"] = sb.runtime_handler;
      info["vm"] = {{"keeper_pid", sb.vm_keeper}, {"socket", sb.vm_socket}, {"dir", sb.vm_dir}, {"cgroup", sb.vm_cgroup}};
      if (auto facts = read_file(sb.vm_dir + "/vm.json")) info["vm"]["machine"] = nlohmann::json::parse(*facts, nullptr, false);
    }
    (*resp->mutable_info())["info"] = info.dump();
  }
  return grpc::Status::OK;
}

grpc::Status PodService::ListPodSandbox(const rt::ListPodSandboxRequest& req, rt::ListPodSandboxResponse* resp) {
  std::vector<PodSandbox> all;
  {
    std::lock_guard lk(mu_);
    for (const auto& [id, p] : pods_) all.push_back(p->sandbox);
  }
  const auto& f = req.filter();
  for (const auto& sb : all) {
    if (req.has_filter()) {
      if (!f.id().empty() && sb.id.rfind(f.id(), 0) != 0) continue;
      if (f.has_state() && f.state().state() != (vm_lost(sb) ? rt::SANDBOX_NOTREADY : sb.state)) continue;
      if (!labels_match(sb.config.labels(), f.label_selector())) continue;
    }
    auto* out = resp->add_items();
    out->set_id(sb.id);
    *out->mutable_metadata() = sb.metadata();
    out->set_state(vm_lost(sb) ? rt::SANDBOX_NOTREADY : sb.state);
    out->set_created_at(sb.created_at_ns);
    out->set_runtime_handler(sb.runtime_handler);
    *out->mutable_labels() = sb.config.labels();
    *out->mutable_annotations() = sb.config.annotations();
  }
  return grpc::Status::OK;
}

}  // namespace berth::cri
