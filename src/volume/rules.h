// The local driver's rules, as dockerd applies them: volume names, driver
// options (type/device/o), the `o=` mount option string, and the filters of
// GET /volumes and POST /volumes/prune. Pure functions (unit-tested).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

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

// A decoded `filters` value: key -> values. Accepts both JSON forms dockerd
// takes ({"k":{"v":true}} and the old {"k":["v"]}).
using Filters = std::map<std::string, std::vector<std::string>>;
Result<Filters> decode_filters(const nlohmann::json& j);
// "invalid filter 'x'" for a key not in accepted.
Result<void> validate_filters(const Filters& f, const std::set<std::string>& accepted);
// filters.Args.GetBoolOrDefault: true/1, false/0 (any case), else
// "invalid filter 'key=value'".
Result<bool> filter_bool(const Filters& f, const std::string& key, bool dflt);
// filters.Args.MatchKVList: every "k" / "k=v" of f[key] is in labels
// (true when f has no such key).
bool match_labels(const Filters& f, const std::string& key, const std::map<std::string, std::string>& labels);
// filters.Args.Match: some value of f[key], as a regular expression, is found
// in source (true when f has no such key).
bool match_regex(const Filters& f, const std::string& key, const std::string& source);

}  // namespace berth::volume
