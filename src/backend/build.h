// What `POST /build` (the legacy builder's API) and `berth build` ask of the
// engine, and `docker builder prune`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backend/distribution.h"
#include "base/error.h"
#include "model/container_spec.h"

namespace berth::backend {

struct BuildRequest {
  std::string dockerfile = "Dockerfile";  // relative to the context's root
  std::vector<std::string> tags;
  std::map<std::string, std::optional<std::string>> build_args;  // a null value: the client had none
  std::map<std::string, std::string> labels;
  std::string target, platform;
  bool no_cache = false, rm = true, force_rm = false, pull = false, quiet = false;
  // The RUN containers' settings (docker build --network, --memory, ...).
  std::string network_mode;  // "" = default
  model::Resources resources;
  int64_t shm_size = 0;
  std::vector<std::string> extra_hosts;
  // X-Registry-Config: credentials by registry for FROM images it pulls.
  std::map<std::string, RegistryAuth> registry_auth;
  // berth's own mode (berth build, or the API's "berth-native=1"): stages
  // the target does not need are skipped, RUN --mount runs.
  bool native = false;
  // RUN --mount=type=secret's sources by ID (berth's X-Berth-Build-Secrets
  // header): never logged, written to a layer or keyed in the cache.
  std::map<std::string, std::string> secrets;
};

// docker builder prune's answer.
struct BuildPruneReport {
  std::vector<std::string> caches_deleted;
  int64_t space_reclaimed = 0;
};

// One entry of the build cache, for docker system df.
struct BuildCacheUsage {
  std::string id, image_id, last_used;  // last_used: RFC 3339
  int64_t size = 0;
  bool in_use = false, shared = false;
};

class BuildBackend {
 public:
  virtual ~BuildBackend() = default;
  using Progress = std::function<bool(const std::string& json_line)>;
  // context: the build context (a tar, or a Dockerfile alone) as it
  // arrives; progress: Docker's JSON message lines. Errors found before
  // anything was streamed are returned; a build that fails later ends its
  // stream with an errorDetail message, as dockerd's.
  virtual Result<std::string> build(const BuildRequest& request,
                                    const std::function<Result<size_t>(char*, size_t)>& context,
                                    const Progress& progress) = 0;
  // all: every entry, not only those whose images nothing else uses.
  virtual Result<BuildPruneReport> prune(const std::string& filters_json, bool all) = 0;
  virtual Result<std::vector<BuildCacheUsage>> usage() = 0;
};

}  // namespace berth::backend
