// Mount options of config.json ("nosuid", "mode=755", "rbind", "rprivate",
// "rro", ...) split into mount(2) flags, propagation, recursive attributes and
// the filesystem data string.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::runtime {

struct MountOptions {
  unsigned long flags = 0;            // MS_* for mount(2), MS_BIND/MS_REC included
  unsigned long propagation = 0;      // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
  unsigned long long attr_set = 0;    // MOUNT_ATTR_* set recursively (rro, rnosuid, ...)
  unsigned long long attr_clr = 0;
  std::string data;                   // comma-joined options for the filesystem
  bool is_bind() const;
};

// Unknown flag-like options are passed to the filesystem as data, as runc does.
MountOptions parse_mount_options(const std::vector<std::string>& options);
// For `features`: the option names this parser knows.
std::vector<std::string> known_mount_options();
// Propagation flag for rootfsPropagation ("" -> 0).
unsigned long propagation_flag(const std::string& name);

}  // namespace berth::runtime
