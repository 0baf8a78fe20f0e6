// The CRI runtime handler `vm` (alias `berth-vm`): the whole pod in one
// microVM (Kata's model; docs/vm.md "Pods in one VM"). The pod's network
// namespace is held and CNI-attached as for any pod; then a keeper
// (berth-vm-runner --pod-vm, detached: it outlives berthd) boots the pod's VM
// on that namespace's eth0 and serves the pod's containers, whose runners
// join it (berth-vm-runner --pod, through the berth-vm runtime). The pod
// record keeps the keeper's pid and socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "runtime/v1/api.pb.h"

namespace berth::cri {

// What a VM pod's keeper is started with (berthd's VM flags).
struct VmPodConfig {
  std::string runner;  // berth-vm-runner; empty: the handler is unavailable
  std::string kernel, initrd;
  std::string accel = "auto";
  uint64_t default_memory_mib = 128;
};

inline bool is_vm_handler(const std::string& handler) { return handler == "vm" || handler == "berth-vm"; }

// The pod VM's size: linux.resources (+ overhead) memory and CPU limits, else
// the default memory and one vCPU.
struct VmPodShape {
  uint64_t memory_mib = 128;
  unsigned vcpus = 1;
};
VmPodShape vm_pod_shape(const runtime::v1::PodSandboxConfig& config, uint64_t default_mib);

// Why a pod cannot be a VM pod ("" = it can): host namespaces.
std::string vm_pod_refusal(const runtime::v1::PodSandboxConfig& config);
// Why a container cannot run in a VM pod ("" = it can).
std::string vm_container_refusal(const runtime::v1::ContainerConfig& config);

struct VmKeeper {
  pid_t pid = 0;
  std::string socket;
};

// Starts the keeper in dir (created) for the pod's netns; returns once its
// VM answered (bounded), or why not.
// cgroup: the VM's (absolute; "" = berthd's own), made by the keeper.
Result<VmKeeper> start_vm_keeper(const VmPodConfig& c, const std::string& id, const std::string& dir,
                                 const std::string& netns, const VmPodShape& shape, const std::string& cgroup);
// The VM's cgroup under the pod's cgroup parent.
std::string vm_pod_cgroup(const std::string& cgroup_parent, const std::string& pod_id);
// Asks the keeper to end (SIGTERM: the agent's shutdown), waits for it
// (bounded, then SIGKILL), and removes what a killed keeper left in dir, and
// the VM's cgroup.
void stop_vm_keeper(pid_t pid, const std::string& dir, const std::string& cgroup);
// True when pid is the keeper of dir (not a reused pid).
bool vm_keeper_alive(pid_t pid, const std::string& dir);

}  // namespace berth::cri
