// A pod sandbox as berth keeps it: no pause process, only namespaces held by
// bind mounts in the pod's directory, its /etc files and /dev/shm, and the
// CNI attachment. The record is what survives a berthd restart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/v1/api.pb.h"

namespace berth::cri {

struct PodSandbox {
  std::string id;  // 64 hex
  runtime::v1::PodSandboxConfig config;  // as the kubelet gave it
  runtime::v1::PodSandboxState state = runtime::v1::SANDBOX_READY;
  int64_t created_at_ns = 0;
  std::string dir;  // <state_dir>/pods/<id>: ns files, /etc files, shm
  // Held namespace files ("" when the pod uses the host's).
  std::string netns, ipcns, utsns;
  std::string shm;  // a tmpfs mounted for the pod's /dev/shm ("" with host IPC)
  std::string pidns;    // the shared PID namespace (namespace_options.pid POD), "" otherwise
  int pid_holder = 0;   // its PID 1, berth-init --hold
  std::vector<std::string> ips;  // the CNI result's addresses, without prefix length
  bool network_attached = false;  // CNI ADD succeeded and no DEL yet
  // The CRI runtime handler: "" (namespaces) or "vm" (the pod in one microVM,
  // vm_pod.h), with its keeper (0 when none runs) and the keeper's dir and socket.
  std::string runtime_handler;
  int vm_keeper = 0;
  std::string vm_dir, vm_socket, vm_cgroup;
  bool is_vm() const { return runtime_handler == "vm"; }

  const runtime::v1::PodSandboxMetadata& metadata() const { return config.metadata(); }
  // name_namespace_uid_attempt: what one pod may reserve at a time (as containerd).
  std::string reserved_name() const;
  std::string hostname_path() const { return dir + "/hostname"; }
  std::string hosts_path() const { return dir + "/hosts"; }
  std::string resolv_conf_path() const { return dir + "/resolv.conf"; }
  bool host_network() const;
  bool host_ipc() const;
  bool host_pid() const;
};

nlohmann::json pod_to_json(const PodSandbox& pod);
// InvalidArgument naming what is wrong in a stored record.
Result<PodSandbox> pod_from_json(const nlohmann::json& j);

}  // namespace berth::cri
