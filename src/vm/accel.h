// KVM or TCG, chosen when a VM starts: KVM when /dev/kvm opens, speaks API
// 12 and can run a vCPU (a few instructions of a real-mode guest), TCG
// otherwise. A host can have a /dev/kvm that opens but cannot run guests
// (nested virtualization switched off): only running one tells.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "vm/machine.h"

namespace berth::vm {

struct AccelChoice {
  Accel accel = Accel::Tcg;
  std::string reason;  // why: "KVM runs a vCPU" / "/dev/kvm: No such file or directory"
};

// mode: "auto" (probe), "kvm" (probe, Unavailable when KVM does not work),
// "tcg" (no probe).
Result<AccelChoice> choose_accel(std::string_view mode, const std::string& kvm_device = "/dev/kvm");

// The probe alone: success when a vCPU ran to its HLT.
Result<void> probe_kvm(const std::string& kvm_device);

}  // namespace berth::vm
