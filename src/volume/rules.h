// The local driver's rules, as dockerd applies them: volume names, driver
// options (type/device/o), the `o=` mount option string, and the dangling
// filter of GET /volumes. Pure functions (unit-tested).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/filters.h"

namespace berth::volume {

// Docker labels anonymous volumes with this (moby's AnonymousLabel).
inline constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";
inline constexpr const char* kLocalDriver = "local";

// Docker's rule for local volume names: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$
// (two characters at least).
bool valid_name(std::string_view name);
// InvalidArgument with dockerd's text (without the "create NAME: " prefix)
// when the name is not valid.
Result<void> check_name(std::string_view name);

// The local driver's options: type, device, o (size needs quota support, which
// berth does not have). device needs type, type needs device, o needs both.
// Messages as dockerd: `invalid option: "x"`, `missing required option: "device"`.
Result<void> check_options(const std::map<std::string, std::string>& opts);
// true when the options ask for a mount at first use (type or device given).
bool needs_mount(const std::map<std::string, std::string>& opts);

// `o=` split into mount(2) flags and the data string, as moby/sys/mount does
// ("size=1m,ro,uid=1000" -> MS_RDONLY, "size=1m,uid=1000").
struct MountOptions {
  unsigned long flags = 0;
  unsigned long propagation = 0;  // MS_SHARED/MS_PRIVATE/... (applied in a second call)
  std::string data;
};
MountOptions parse_mount_options(std::string_view o);

// The dangling filter of GET /volumes: true/1, false/0 (any case), else
// "invalid filter 'key=value'"; dflt when absent. (Lists and prunes parse
// `filters` with berth::Filters and PruneFilter, base/filters.h.)
Result<bool> filter_bool(const Filters& f, const std::string& key, bool dflt);

}  // namespace berth::volume
