// What a pod sandbox asks of the kernel, behind an interface so the pod
// logic is unit-tested without root: held namespaces (engine/held_namespaces.h)
// and the tmpfs the pod's containers share as /dev/shm.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "engine/held_namespaces.h"

namespace berth::cri {

class PodKernel {
 public:
  virtual ~PodKernel() = default;
  virtual Result<void> hold_namespaces(const engine::HeldNamespacePaths& paths) = 0;
  virtual void release_namespace(const std::string& path) = 0;
  // Is the file still a held namespace (after a reboot or an unmount it is not)?
  virtual bool is_held(const std::string& path) = 0;
  virtual Result<void> mount_shm(const std::string& dir) = 0;  // 64 MiB, mode 1777, created when missing
  // A PID namespace shared by the pod needs a PID 1: `init_path --hold`
  // (berth-init) started in a new PID namespace, held at pidns_file too.
  // Returns its pid (host namespace).
  virtual Result<int> start_pid_holder(const std::string& init_path, const std::string& pidns_file) = 0;
  // Kills the holder when it is still the one of pidns_file (a pid is reused
  // otherwise), reaps it when it is berthd's child, and releases the file.
  virtual void stop_pid_holder(int pid, const std::string& pidns_file) = 0;
  virtual void unmount_shm(const std::string& dir) = 0;        // and removes the directory
};

// The real one (mount(2), unshare(2) in a short-lived thread).
std::unique_ptr<PodKernel> make_pod_kernel();

}  // namespace berth::cri
