// RUN --mount=... (berth's native mode, BuildKit's syntax): what a RUN
// mounts for its duration and never commits. Parsed here, pure; the engine
// makes the mounts (src/engine/build/run_mounts.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::build {

enum class MountType { bind, cache, tmpfs, secret };
enum class CacheSharing { shared, private_, locked };

std::string_view to_string(MountType t);
std::string_view to_string(CacheSharing s);

struct RunMount {
  MountType type = MountType::bind;
  std::string target;  // absolute and clean (a relative target starts at WORKDIR)
  // bind, cache: a path inside `from` (or the context for a bind without
  // from); "" = its root.
  std::string source;
  // bind, cache: a stage name or index, or an image, as written (expanded);
  // the dispatcher resolves it into from_image.
  std::string from;
  std::string from_image;  // the image ID `from` names; "" = the context (bind) or nothing (cache)
  // cache: the cache's identity (default: the target); secret: the secret's
  // ID (default: the target's base name).
  std::string id;
  CacheSharing sharing = CacheSharing::shared;
  bool read_only = false;  // bind: true unless rw; cache, tmpfs: false unless ro; secret: always
  bool required = false;   // secret: a build without it fails (else the mount is left out)
  std::optional<mode_t> mode;  // cache: its directory's when created (0755); secret: its file's (0400)
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  int64_t size = 0;  // tmpfs: bytes, 0 = the kernel's default
};

// One --mount value: comma-separated key=value fields (a field may be
// quoted, CSV-style). Every value is expanded with `expand` (the stage's
// ENV and ARGs) before it is read. workdir: where a relative target starts.
// Errors name the field and why.
Result<RunMount> parse_run_mount(std::string_view spec, const std::string& workdir,
                                 const std::function<Result<std::string>(std::string_view)>& expand);

// The mount as the cache key sees it: every field, in a fixed order (never
// a secret's content, nor a cache's).
std::string mount_key_text(const RunMount& m);

}  // namespace berth::build
