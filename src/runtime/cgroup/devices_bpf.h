// Device access control on cgroup v2: an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE, assembled here and loaded with raw bpf() calls.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime::cgroup::detail::bpf {

// The rules reduced the way the v1 devices controller would apply them in
// order: a default verdict plus exceptions with the opposite verdict.
struct DeviceException {
  int type = 0;                 // BPF_DEVCG_DEV_CHAR or BPF_DEVCG_DEV_BLOCK
  int64_t major = -1, minor = -1;  // -1: any
  int access = 0;               // BPF_DEVCG_ACC_* bits
};
struct DevicePolicy {
  bool default_allow = false;  // a new v2 cgroup starts as "deny all", as in runc
  std::vector<DeviceException> exceptions;
};

Result<DevicePolicy> reduce_rules(const std::vector<spec::DeviceRule>& rules);
// Program: returns 1 (allow) or 0 (deny) for a struct bpf_cgroup_dev_ctx.
std::vector<bpf_insn> device_program(const DevicePolicy& policy);

// Loads the program for rules and attaches it to the cgroup directory fd,
// replacing the programs attached before (new one first, then the old ones go).
Result<void> apply_device_rules(int cgroup_fd, const std::vector<spec::DeviceRule>& rules,
                                const std::string& id);

}  // namespace berth::runtime::cgroup::detail::bpf
