// What a RUN's --mount values become for its container: bind and tmpfs
// mounts of HostConfig, and what holds their sources until the RUN is over
// (a cache's lease, a secret's file, a stage's mounted snapshot, a scratch
// copy of the context for rw). Nothing of it is in the container's rootfs:
// MountStubs takes out the mount points the runtime makes there.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/build/cache_mounts.h"
#include "engine/build/secret_files.h"
#include "model/container_spec.h"

namespace berth::engine {

class MountedSnapshot;

class ScratchDir {
 public:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunMountSet {
  std::vector<model::MountSpec> binds;
  std::map<std::string, std::string> tmpfs;  // target -> HostConfig.Tmpfs options
  std::vector<std::string> targets;          // every mount point, for MountStubs
  // Held until the RUN's container is gone; released in reverse order.
  std::vector<std::unique_ptr<MountedSnapshot>> images;
  std::vector<std::unique_ptr<ScratchDir>> scratch;
  std::vector<std::unique_ptr<CacheMounts::Lease>> caches;
  std::vector<std::unique_ptr<SecretFiles::File>> secrets;

  RunMountSet();
  RunMountSet(RunMountSet&&) noexcept;
  ~RunMountSet();
};

// A path inside root (resolved as in a chroot: symlinks cannot leave it) as
// a path of the host; rel "" is the root itself.
Result<std::string> resolve_in_root(const std::string& root, const std::string& rel);

}  // namespace berth::engine
