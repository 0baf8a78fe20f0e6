// Durable record of snapshots: ROOT/metadata.json, replaced atomically (temp
// file + fsync + rename) on every change, so a kill -9 leaves the old or the
// new state. Not thread-safe: the snapshotter serialises calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/error.h"
#include "snapshot/snapshotter.h"

namespace berth::snapshot {

class Metadata {
 public:
  static constexpr int kVersion = 1;

  // Loads path, or starts empty when it does not exist yet. A root holds the
  // directories of one driver ("overlay", "native"): opening it with another
  // is refused with Conflict.
  static Result<Metadata> open(const std::string& path, const std::string& driver);
  // The driver recorded in path; "" when there is no metadata yet.
  static Result<std::string> recorded_driver(const std::string& path);

  Result<Info> get(const std::string& key) const;
  bool contains(const std::string& key) const { return by_key_.contains(key); }
  bool has_children(const std::string& key) const;
  // Next directory id; only consumed when a record using it is saved.
  uint64_t next_id() const { return next_id_; }
  const std::map<std::string, Info>& all() const { return by_key_; }

  // Each change is written through before it becomes visible in memory.
  // durable: fsync the record (an Active snapshot's may skip it: a crash
  // that loses it leaves a directory the next open collects).
  Result<void> add(const Info& info, bool durable = true);
  Result<void> rename_committed(const std::string& key, const std::string& name);
  Result<void> erase(const std::string& key, bool durable = true);

 private:
  Result<void> save(const std::map<std::string, Info>& snaps, uint64_t next_id, bool durable = true);

  std::string path_;
  std::string driver_;
  std::map<std::string, Info> by_key_;
  uint64_t next_id_ = 1;
};

}  // namespace berth::snapshot
