// A container of a VM pod (docs/vm.md, "Pods in one VM") in its pod's guest
// (pure). The pod's VM has one virtio-fs share; each container's runner
// bind-mounts its rootfs and directories under <share>/<id>/ on the host; the
// keeper had the guest mount the share once at /run/berth-vm/pod (the agent's
// `mount`), so the cold plan's /run/berth-vm/shares/TAG becomes
// /run/berth-vm/pod/<id>/TAG.
//
// The pod's namespaces are the guest's own: no network namespace (the guest's
// NIC and lo are the pod's, so localhost reaches the other containers), no
// IPC namespace (the pod shares one); the host's namespace paths mean nothing
// in the guest, so a UTS namespace is a new one with the pod's hostname and a
// PID namespace the container's own.
#pragma once

#include <string>

#include "base/error.h"
#include "vm/guest_config.h"

namespace berth::vm {

// Where the guest mounts the pod's share (once, for the VM's life).
inline constexpr char kPodGuestDir[] = "/run/berth-vm/pod";

// Rewrites plan.config for the pod's guest (see above).
Result<void> plan_for_pod(GuestPlan& plan, const std::string& id, const std::string& hostname);

// The host file bind-mounted at `destination` in the config ("" = none).
std::string bind_source_of(const nlohmann::json& config, const std::string& destination);

}  // namespace berth::vm
