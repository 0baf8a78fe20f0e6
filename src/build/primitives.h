// What the dispatcher asks of the engine: the build's primitives (from, run,
// copy, commit, the cache). The engine implements them over its container
// and image services (src/engine/build); tests use a fake.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "build/run_mount.h"
#include "model/container_spec.h"

namespace berth::build {

// The image a step starts from, and the config the next step sees.
struct StageImage {
  std::string id;                 // "sha256:..."; "" for FROM scratch before any layer
  model::ContainerConfig config;  // Env, Cmd, Entrypoint, WorkingDir, User, Labels...
};

// A step's result image: parent + (a layer) + config + a history entry.
struct CommitInfo {
  model::ContainerConfig config;  // the new image's config
  std::string created_by;         // its history entry (Docker's legacy texts)
  std::string author;             // MAINTAINER
};

struct RunStep {
  StageImage parent;
  std::vector<std::string> argv;  // the process: SHELL + the text, or the exec form
  std::vector<std::string> env;   // the config's Env and the build args in scope
  std::string network;            // "" = the build's (--network), "none" per RUN
  std::vector<RunMount> mounts;   // RUN --mount (native mode), from_image resolved
  CommitInfo commit;
};

struct RunOutcome {
  int exit_code = 0;
  std::string image_id;  // the committed step, when exit_code is 0
};

// COPY/ADD sources: the build context, or another image's filesystem (a
// stage's result or an image by reference: COPY --from).
struct SourceRoot {
  bool context = true;
  std::string image;  // an image ID or reference when !context
};

// What a COPY/ADD's sources are, for the cache key and the history text.
struct SourceDigest {
  std::string kind;    // "file", "dir" or "multi" (Docker's history words)
  std::string digest;  // hex of the sources' content and metadata (not times)
};

struct CopyStep {
  StageImage parent;
  SourceRoot from;
  std::vector<std::string> sources;  // expanded; ADD may give http(s) URLs
  std::string dest;                  // expanded, as written
  std::string workdir;               // where a relative dest starts
  std::string chown;                 // --chown (expanded), "" = 0:0
  std::optional<mode_t> chmod;       // --chmod
  bool add = false;                  // ADD: URLs and local archives
  CommitInfo commit;
};

class Output {
 public:
  virtual ~Output() = default;
  // Text of the build's log, as Docker's {"stream": ...} messages carry it.
  virtual void stream(std::string_view text) = 0;
  // A JSON message line of its own (a FROM's pull progress).
  virtual void json(const std::string& line) { (void)line; }
};

class Primitives {
 public:
  virtual ~Primitives() = default;
  // FROM an image (pulled when missing, or always with pull), with its
  // progress written to out. Returns the image's ID and config.
  virtual Result<StageImage> from_image(const std::string& ref, const std::string& platform, bool pull,
                                        Output& out) = 0;
  // An image of this build or of the store by ID (a cache hit, a stage).
  virtual Result<StageImage> load(const std::string& image_id) = 0;

  // The content-keyed cache: key text -> the image a step made.
  virtual std::optional<std::string> cache_get(const std::string& key) = 0;
  virtual void cache_put(const std::string& key, const std::string& image_id) = 0;

  // A step that changes only the config (no layer).
  virtual Result<std::string> commit_config(const StageImage& parent, const CommitInfo& commit) = 0;
  // WORKDIR: the directory created (root-owned, as the legacy builder) in a layer.
  virtual Result<std::string> make_workdir(const StageImage& parent, const std::string& path,
                                           const CommitInfo& commit) = 0;
  // RUN: a container on parent; its output written to out as it comes; its
  // layer committed when it exits 0.
  virtual Result<RunOutcome> run(const RunStep& step, Output& out) = 0;
  // COPY/ADD.
  virtual Result<SourceDigest> digest_sources(const CopyStep& step) = 0;
  virtual Result<std::string> copy(const CopyStep& step) = 0;
};

}  // namespace berth::build
