// Turns a validated config.json into the InitPlan / ProcessPlan the child
// walks: paths resolved against the bundle, options parsed, names resolved,
// seccomp compiled. Every refusal names the config field and why.
#pragma once

#include <map>
#include <string>

#include "base/error.h"
#include "runtime/launch/plan.h"
#include "spec/runtime_spec.h"

namespace berth::runtime {

struct CreateOptions;

// Fields this host cannot honour (AppArmor, SELinux, Intel RDT, ...): refused.
Result<void> check_unsupported(const spec::Spec& s);
// Whether the host enforces SELinux labels at all (selinuxfs is mounted).
bool selinux_enabled();

// The process part (shared with exec). `in_user_ns` decides setgroups.
Result<void> build_process_plan(const spec::Process& proc, bool in_user_ns, ProcessPlan& out,
                                const std::string& field = "process");

// cgroup_paths: Manager::paths() (mountpoint -> host dir), cgroup_v2: mode;
// compiled seccomp programs are cached in seccomp_cache_dir.
Result<void> build_init_plan(const spec::Spec& s, const std::string& bundle, const std::string& rootfs,
                             const std::map<std::string, std::string>& cgroup_paths, bool cgroup_v2,
                             const std::string& seccomp_cache_dir, InitPlan& plan);

// Device cgroup rules: the spec's, plus allow rules for the default devices,
// the spec's devices and ptys, as runc adds them.
spec::Resources effective_resources(const spec::Spec& s);

}  // namespace berth::runtime
