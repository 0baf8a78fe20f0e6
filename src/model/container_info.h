// What the engine tells about a container: its state and a read-only view
// of everything inspect and list show. The Docker API edge renders these as
// Docker's JSON; other front ends read the fields.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/container_spec.h"
#include "model/health.h"

namespace berth::model {

inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

// Where a container is in its life. Status is derived, never stored.
struct RunState {
  bool running = false, paused = false, restarting = false, oom_killed = false, dead = false, removing = false;
  pid_t pid = 0;
  int exit_code = 0;
  std::string error;
  std::string started_at = kZeroTime, finished_at = kZeroTime;  // RFC 3339 nano
  std::optional<Health> health;  // with a healthcheck: since the first start

  // "created", "running", "paused", "restarting", "removing", "exited", "dead".
  std::string status(bool ever_started) const;
  bool operator==(const RunState&) const = default;
};

// One of the container's mounts as inspect lists them.
struct MountPoint {
  MountType type = MountType::Bind;
  std::string name;    // volumes
  std::string source;  // host path ("" for tmpfs)
  std::string destination;
  std::string driver;  // volumes: "local"
  std::string mode;    // "ro", "z", ""
  bool rw = true;
  Propagation propagation = Propagation::Unset;
};

// The container's endpoint on one network (NetworkSettings.Networks[name]).
// Addresses are empty while the container is not running.
struct EndpointInfo {
  std::string network_id, endpoint_id, gateway, ip_address, mac_address;
  int ip_prefix_len = 0;
  std::vector<std::string> aliases;
  std::string requested_ipv4;  // IPAMConfig.IPv4Address
  std::vector<std::string> links;  // EndpointSettings.Links as asked
};

struct NetworkSettingsInfo {
  std::vector<std::pair<std::string, EndpointInfo>> networks;  // in the order joined
  // Published ports while running: bound addresses; exposed but unpublished ports map to nullopt.
  std::map<std::string, std::optional<std::vector<PortBinding>>> ports;
  std::string sandbox_key;  // the network namespace's path while running
};

struct ContainerInfo {
  std::string id, name;  // name with its leading "/"
  std::string created;   // RFC 3339 nano
  std::string image;     // as given (Config.Image)
  std::string image_id;  // "sha256:..."
  std::string path;      // entrypoint/cmd resolved
  std::vector<std::string> args;
  RunState state;
  bool ever_started = false;
  int restart_count = 0;
  std::string runtime;  // the Task implementation's name
  // What the runtime tells about a running task (berth-vm: the accelerator,
  // vCPUs, memory, guest kernel), inspect's State.RuntimeDetails.
  std::map<std::string, std::string> runtime_details;
  std::string resolv_conf_path, hostname_path, hosts_path, log_path, rootfs_path;
  ContainerSpec spec;  // Config with the image's defaults merged, HostConfig as validated
  std::vector<MountPoint> mounts;
  NetworkSettingsInfo network;
  std::vector<std::string> exec_ids;  // running execs
  std::optional<int64_t> size_rw, size_root_fs;
};

// docker diff.
struct Change {
  enum class Kind { Modified = 0, Added = 1, Deleted = 2 };
  std::string path;
  Kind kind = Kind::Modified;
};

// docker top.
struct ProcessTable {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

struct PruneReport {
  std::vector<std::string> deleted;
  uint64_t space_reclaimed = 0;
};

}  // namespace berth::model
