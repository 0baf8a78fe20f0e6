// What a build is asked to do, in the engine's terms (the API's query or the
// CLI's flags are parsed into it at their edge).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::build {

struct BuildOptions {
  std::map<std::string, std::optional<std::string>> build_args;  // --build-arg K=V; K alone: nullopt (from the client's env, unset there)
  std::map<std::string, std::string> labels;                      // --label: a final LABEL step
  std::string target;                                             // --target: the last stage built
  bool no_cache = false;
  bool pull = false;       // --pull: FROM images are pulled even when present
  std::string platform;    // --platform for FROM images ("" = the host's)
  // The legacy builder builds every stage before the target, one after
  // another. berth's native mode skips stages the target does not need.
  bool skip_unused_stages = false;
  // berth's native mode also runs RUN --mount (the legacy builder refuses it).
  bool run_mounts = false;
  // ... and builds stages that do not read each other at the same time.
  bool parallel_stages = false;
};

}  // namespace berth::build
