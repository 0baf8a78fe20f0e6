// The config.json that `berth-runtime spec` writes: runc's example spec, with
// berth's hostname. --rootless adapts it as `runc spec --rootless` does.
#pragma once

#include <string>

namespace berth::runtime {

// The OCI version berth writes into generated specs and reports as its maximum.
inline constexpr const char* kOciVersion = "1.1.0";

// A complete, valid config.json (tab-indented, runc's key order). With rootless:
// a user namespace mapping root in the container to the caller's euid/egid, no
// network namespace, /sys bind-mounted, no uid=/gid= mount options and no
// linux.resources.
std::string default_spec_json(bool rootless);

}  // namespace berth::runtime
