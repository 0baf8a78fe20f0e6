// dockerd's --userns-remap setting: which host user's subordinate ids the
// containers' ids map to. "default" is berth's own user, berthremap (created
// with a free 65536-id range in /etc/subuid and /etc/subgid when missing, as
// dockerd does for dockremap); USER[:GROUP] (names or ids) must exist and
// own ranges already. The files are reached through RemapFiles so tests use
// fakes; system_remap_files() is the real system.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "idmap/subid.h"

namespace berth::idmap {

inline constexpr const char* kDefaultRemapUser = "berthremap";
inline constexpr const char* kDockerRemapUser = "dockremap";  // created the same way when named
inline constexpr uint32_t kDefaultRangeSize = 65536;

// One OCI linux.uidMappings / gidMappings entry.
struct IdMapping {
  uint32_t container_id = 0, host_id = 0, size = 0;
  bool operator==(const IdMapping&) const = default;
};

// The ids a remapped container lives in: container id 0 is the first host id
// of the first range, and the ranges follow each other (dockerd's
// IdentityMapping).
struct Remap {
  std::string user, group;  // names, for docker info and messages
  std::vector<IdMapping> uids, gids;

  uint32_t root_uid() const { return uids.front().host_id; }
  uint32_t root_gid() const { return gids.front().host_id; }
  // Container id -> host id; nullopt outside the mapping.
  static std::optional<uint32_t> to_host(const std::vector<IdMapping>& m, uint32_t id);
  // Host id -> container id; nullopt when the container cannot see it.
  static std::optional<uint32_t> to_container(const std::vector<IdMapping>& m, uint32_t id);
  // "/proc/PID/uid_map" text for m.
  static std::string map_text(const std::vector<IdMapping>& m);
};

// Consecutive container ids over the ranges, in the order given.
std::vector<IdMapping> mappings_of(const std::vector<IdRange>& ranges);

struct RemapFiles {
  std::string passwd = "/etc/passwd", group = "/etc/group";
  std::string subuid = "/etc/subuid", subgid = "/etc/subgid";
  // Reads a whole file; NotFound when it does not exist.
  std::function<Result<std::string>(const std::string& path)> read;
  // Replaces a file's content atomically (same owner and mode as before).
  std::function<Result<void>(const std::string& path, const std::string& text)> write;
  // Creates a system user and its group (dockerd runs useradd -r).
  std::function<Result<void>(const std::string& name)> add_user;
};

RemapFiles system_remap_files();

// Resolves the setting (flag or daemon.json "userns-remap"); errors name the
// setting and why, in dockerd's words where it has some.
Result<Remap> resolve_remap(const std::string& setting, const RemapFiles& files);

}  // namespace berth::idmap
