// backend::BuildBackend over the dispatcher: receives the context, reads the
// Dockerfile and .dockerignore from it, runs build::Dispatcher with
// EnginePrimitives, tags the result and writes the legacy builder's JSON
// message stream. Also the build cache's prune and disk usage.
#pragma once

#include <mutex>
#include <string>

#include "backend/build.h"
#include "engine/build/build_cache.h"
#include "engine/build/deferred_removal.h"
#include "engine/build/engine_primitives.h"
#include "engine/images/image_backend.h"

#include "stats/engine_counters.h"

namespace berth::engine {

class BuildService : public backend::BuildBackend {
 public:
  // work_dir: DATA_ROOT/builder (cache/, tmp/, mnt/, cache-mounts/, secrets/).
  static Result<std::unique_ptr<BuildService>> open(std::string work_dir, image::ImageService& images,
                                                    std::mutex& image_mu, ContainerService& containers,
                                                    backend::DistributionBackend& distribution,
                                                    ImageBackend& image_backend);

  Result<std::string> build(const backend::BuildRequest& request,
                            const std::function<Result<size_t>(char*, size_t)>& context,
                            const Progress& progress) override;
  Result<backend::BuildPruneReport> prune(const std::string& filters_json, bool all) override;
  Result<std::vector<backend::BuildCacheUsage>> usage() override;
  // Builds and build-cache hits are counted there (/metrics).
  void count_into(stats::EngineCounters* counters) { counters_ = counters; }

 private:
  BuildService(std::string work_dir, image::ImageService& images, std::mutex& image_mu, ContainerService& containers,
               backend::DistributionBackend& distribution, ImageBackend& image_backend)
      : work_dir_(std::move(work_dir)), images_(images), image_mu_(image_mu), containers_(containers),
        distribution_(distribution), image_backend_(image_backend), cache_(work_dir_ + "/cache"),
        cache_mounts_(work_dir_ + "/cache-mounts"), secrets_(work_dir_ + "/secrets") {}

  // Unmounts and removes what a build killed with the daemon left.
  void recover();

  std::string work_dir_;
  image::ImageService& images_;
  std::mutex& image_mu_;
  ContainerService& containers_;
  backend::DistributionBackend& distribution_;
  ImageBackend& image_backend_;
  BuildCache cache_;
  CacheMounts cache_mounts_;
  SecretFiles secrets_;
  stats::EngineCounters* counters_ = nullptr;
  DeferredRemoval removal_;  // last: its destructor finishes the removals before the rest goes
};

}  // namespace berth::engine
