// The snapshotter seam (after containerd's core/snapshots): layered
// filesystem trees addressed by key, returned as mount descriptions that the
// caller applies. A snapshotter never mounts anything itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::snapshot {

enum class Kind { Active, View, Committed };
const char* kind_name(Kind kind);

struct Info {
  std::string key;     // the name, for a committed snapshot (a chain ID)
  std::string parent;  // "" for a base snapshot
  Kind kind = Kind::Active;
  uint64_t id = 0;     // directory ROOT/snapshots/<id>
};

// Of a snapshot's own layer only, not its parents'.
struct Usage {
  int64_t bytes = 0;   // apparent size of all but directories (Docker's), hard links counted once
  int64_t inodes = 0;
};

// One mount(2) call. `options` mixes flags ("ro", "rbind") and data
// ("lowerdir=..."), as in mount(8).
struct Mount {
  std::string type;    // "overlay" or "bind"
  std::string source;
  std::vector<std::string> options;
  // When set, chdir into this directory before mounting: paths in source and
  // options are relative to it. The kernel takes at most one page of mount
  // data, so long lowerdir chains only fit with short relative paths.
  std::string chdir;
};

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;

  // A writable snapshot on top of `parent` (committed, or "" for empty).
  virtual Result<std::vector<Mount>> prepare(const std::string& key, const std::string& parent) = 0;
  // A read-only snapshot of `parent`.
  virtual Result<std::vector<Mount>> view(const std::string& key, const std::string& parent) = 0;
  // Turns active `key` into committed `name`; `key` is gone afterwards.
  virtual Result<void> commit(const std::string& name, const std::string& key) = 0;
  // Refused with Conflict while other snapshots name it as parent.
  virtual Result<void> remove(const std::string& key) = 0;
  virtual Result<Info> stat(const std::string& key) = 0;
  virtual Result<Usage> usage(const std::string& key) = 0;
  // Mounts of an active snapshot or a view (committed ones are not mountable).
  virtual Result<std::vector<Mount>> mounts(const std::string& key) = 0;
  // Visits every snapshot; stops at the first error fn returns.
  virtual Result<void> walk(const std::function<Result<void>(const Info&)>& fn) = 0;

  Result<std::vector<Info>> list();
};

// Overlay when the kernel can use it on root's filesystem, else plain copies.
Result<std::unique_ptr<Snapshotter>> make_snapshotter(const std::string& root);

}  // namespace berth::snapshot
