// A container's mounts beyond its rootfs: HostConfig.Binds ("-v
// SRC:DST[:OPTS]", SRC a host path or a volume name), HostConfig.Mounts
// ("--mount" bind, volume, tmpfs), anonymous volumes (Config.Volumes: the
// image's VOLUME and `-v /path`) and --volumes-from, planned at create and
// resolved to spec mounts at every start.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/container_info.h"
#include "model/container_spec.h"
#include "specgen/specgen.h"

namespace berth::engine {

struct MountPlan {
  model::MountType type = model::MountType::Bind;
  std::string source;       // host path (bind), volume name (volume; empty until created for anonymous)
  std::string destination;  // absolute, in the container
  bool read_only = false;
  bool anonymous = false;   // made for this container: `rm -v` removes it
  bool create_source = false;  // -v creates a missing host directory; --mount refuses it
  bool nocopy = false;         // no copy-up of the image's content into an empty volume
  std::string propagation = "rprivate";
  std::vector<std::string> tmpfs_options;
  std::map<std::string, std::string> volume_options;  // --mount volume-opt / driver options
  bool operator==(const MountPlan&) const = default;
};

// Parses Binds, Mounts and Config.Volumes (without touching the host); a
// bind source that must exist (--mount) is checked. volumes_from: the plans
// of the containers named in HostConfig.VolumesFrom (":ro" applied here).
Result<std::vector<MountPlan>> plan_mounts(const model::HostConfig& host_config, const model::ContainerConfig& config,
                                           const std::vector<std::pair<std::vector<MountPlan>, bool>>& volumes_from);
// The mounts as inspect lists them.
std::vector<model::MountPoint> mount_points(const std::vector<MountPlan>& plans, const std::string& volumes_root);

// A bind or tmpfs plan as a spec mount (creating a missing -v bind source).
Result<specgen::ExtraMount> bind_or_tmpfs_mount(const MountPlan& p);
// A volume's host path as a spec bind mount.
specgen::ExtraMount volume_mount(const MountPlan& p, const std::string& host_path);

}  // namespace berth::engine
