// The container's OCI config as the guest agent needs it (pure): the rootfs
// and every bind-mounted directory become virtio-fs shares mounted under
// /run/berth in the guest, bind-mounted files (hosts, resolv.conf, hostname,
// an --init binary) are copied into one share of their own, the network
// namespace goes (the guest's NIC is in the guest's own namespace) and the
// memory and CPU limits become the VM's size. What cannot be true inside a
// VM is refused with the reason (vm_refusal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::vm {

struct PlannedShare {
  std::string tag;
  std::string host_dir;
  std::string guest_path;
  bool readonly = false;
};

struct FileCopy {
  std::string host_path;  // a bind-mounted file
  std::string name;       // its name in the files share
};

struct GuestPlan {
  nlohmann::json config;  // the guest's config.json
  std::vector<PlannedShare> shares;
  std::vector<FileCopy> files;  // into the share tagged "files" (files_dir on the host)
  bool terminal = false;
  int64_t memory_limit = 0;  // linux.resources.memory.limit (0 = none)
  int64_t cpu_quota = 0;
  uint64_t cpu_period = 0;
  std::string netns_path;  // the container's network namespace ("" = none given)
};

// Where the agent mounts the shares (docs/vm.md's convention).
inline constexpr char kGuestRoot[] = "/run/berth-vm/shares/rootfs";
inline constexpr char kGuestShares[] = "/run/berth-vm/shares/";
inline constexpr char kFilesTag[] = "files";

// is_dir tells a bind source's kind (a seam for the tests).
Result<GuestPlan> plan_guest(const nlohmann::json& config, const std::string& files_dir,
                             bool (*is_dir)(const std::string&));

// Why a container config cannot run in a VM ("" = it can): host network,
// PID or IPC namespace, host devices, privileged.
std::string vm_refusal(const nlohmann::json& config);

}  // namespace berth::vm
