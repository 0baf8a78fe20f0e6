// The build primitives over the engine: FROM through the image service (and
// the registry client when an image is missing), RUN as a ContainerService
// container, COPY/ADD/WORKDIR into a snapshot of the parent, and every step
// committed by the image service (one image per step, its parent recorded,
// as the legacy builder does).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backend/build.h"
#include "backend/distribution.h"
#include "stats/engine_counters.h"
#include "build/primitives.h"
#include "engine/build/build_cache.h"
#include "engine/build/cache_mounts.h"
#include "engine/build/mount_stubs.h"
#include "engine/build/run_mounts.h"
#include "engine/build/secret_files.h"
#include "engine/container_service.h"
#include "image/service.h"

namespace berth::engine {

class MountedSnapshot;

// The snapshots file steps write into are named so (a restart removes any left).
inline constexpr const char* kBuildSnapshotPrefix = "build-";

struct BuildEnv {
  image::ImageService& images;
  std::mutex& image_mu;
  ContainerService& containers;
  backend::DistributionBackend& distribution;
  BuildCache& cache;
  std::string work_dir;  // DATA_ROOT/builder: snapshots are mounted under it
  CacheMounts& cache_mounts;  // RUN --mount=type=cache
  SecretFiles& secrets;       // RUN --mount=type=secret
  stats::EngineCounters* counters = nullptr;  // build-cache hits for /metrics
};

class EnginePrimitives : public build::Primitives {
 public:
  // context_dir: the received build context; request: the RUN containers' settings.
  EnginePrimitives(BuildEnv env, const backend::BuildRequest& request, std::string context_dir);
  ~EnginePrimitives() override;

  Result<build::StageImage> from_image(const std::string& ref, const std::string& platform, bool pull,
                                       build::Output& out) override;
  Result<build::StageImage> load(const std::string& image_id) override;
  std::optional<std::string> cache_get(const std::string& key) override;
  void cache_put(const std::string& key, const std::string& image_id) override;
  Result<std::string> commit_config(const build::StageImage& parent, const build::CommitInfo& commit) override;
  Result<std::string> make_workdir(const build::StageImage& parent, const std::string& path,
                                   const build::CommitInfo& commit) override;
  Result<build::RunOutcome> run(const build::RunStep& step, build::Output& out) override;
  Result<build::SourceDigest> digest_sources(const build::CopyStep& step) override;
  Result<std::string> copy(const build::CopyStep& step) override;

 private:
  Result<std::unique_ptr<MountedSnapshot>> mount_image(const std::string& image_id);
  // RUN --mount (run_mounts.cc).
  Result<RunMountSet> prepare_mounts(const std::vector<build::RunMount>& mounts);
  Result<MountStubs> find_stubs(const std::string& container_id, const std::vector<std::string>& targets);
  void remove_stubs(const std::string& container_id, const MountStubs& stubs);
  // take_snapshot: the snapshot is unmounted and never used again, so it may
  // become the layer's snapshot as it is (image::CommitRequest::take_snapshot).
  Result<std::string> commit(const build::StageImage& parent, const build::CommitInfo& commit,
                             const std::string& snapshot_key, bool take_snapshot = false);
  // ADD's URL sources, downloaded once per build (for the digest, then the copy).
  Result<std::string> download_dir();

  BuildEnv env_;
  const backend::BuildRequest& request_;
  std::string context_dir_;
  // Stages may build at once (native mode): downloads_ and downloaded_ are mu_'s.
  std::mutex mu_;
  std::string downloads_;
  // An ADD URL's download: fetched once per build, for the digest, then copied.
  struct Downloaded {
    std::string path;    // the file, in a directory of its own under downloads_
    std::string name;    // from the URL ("" when it has none)
    std::string digest;  // of its content
  };
  std::map<std::string, Downloaded> downloaded_;  // by URL
};

}  // namespace berth::engine
