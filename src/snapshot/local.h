// Bookkeeping shared by the snapshotters that keep each snapshot in a
// directory ROOT/snapshots/<id>: keys, parents, kinds, crash safety. The
// subclasses only fill a new directory and describe its mounts.
//
// Crash safety: a directory is built completely, its entry fsynced, and only
// then recorded in ROOT/metadata.json; removal forgets the record first and
// deletes the directory after. Directories no record names are leftovers of
// a crash and are deleted when the root is opened. One process owns a root.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "snapshot/metadata.h"
#include "snapshot/snapshotter.h"

namespace berth::snapshot {

class LocalSnapshotter : public Snapshotter {
 public:
  Result<std::vector<Mount>> prepare(const std::string& key, const std::string& parent) override;
  Result<std::vector<Mount>> view(const std::string& key, const std::string& parent) override;
  Result<void> commit(const std::string& name, const std::string& key) override;
  Result<void> remove(const std::string& key) override;
  Result<Info> stat(const std::string& key) override;
  Result<Usage> usage(const std::string& key) override;
  Result<std::vector<Mount>> mounts(const std::string& key) override;
  Result<void> walk(const std::function<Result<void>(const Info&)>& fn) override;

  const std::string& root() const { return root_; }
  std::string metadata_path() const { return root_ + "/metadata.json"; }
  // ROOT/snapshots: short relative paths in mount options start here.
  std::string snapshots_dir() const { return root_ + "/snapshots"; }
  std::string dir_of(uint64_t id) const { return snapshots_dir() + "/" + std::to_string(id); }

 protected:
  LocalSnapshotter() = default;
  // Creates ROOT/snapshots, loads the metadata and deletes unreferenced directories.
  Result<void> open_root(const std::string& root, const std::string& driver);

  // Fills the new, empty directory `dir` of `info`; `parents` runs from the
  // direct parent down to the base layer.
  virtual Result<void> populate(const std::string& dir, const Info& info,
                                const std::vector<Info>& parents) = 0;
  virtual std::vector<Mount> describe(const Info& info, const std::vector<Info>& parents) = 0;

 private:
  Result<std::vector<Mount>> create(const std::string& key, const std::string& parent, Kind kind);
  Result<std::vector<Info>> chain(const std::string& parent) const;
  Result<void> collect_garbage();

  std::string root_;
  std::mutex mu_;
  Metadata md_;
};

}  // namespace berth::snapshot
