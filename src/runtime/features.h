// The `berth-runtime features` document (runtime-spec features.md, the format
// `runc features` prints): what this build of the runtime understands.
#pragma once

#include <nlohmann/json.hpp>

namespace berth::runtime {

// ociVersionMin/Max, hooks, mountOptions, linux.{namespaces, capabilities,
// cgroup, seccomp, apparmor, selinux} and annotations (libseccomp version).
nlohmann::json features_json();

}  // namespace berth::runtime
