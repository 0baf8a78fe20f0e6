// The pod sandbox records: one JSON file per pod in <data_dir>/pods, written
// atomically (temp file + rename, not fsynced: as the container records, a
// kill -9 of berthd keeps the last write, only a power loss may drop it).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "cri/pods/pod_sandbox.h"

namespace berth::cri {

class PodStore {
 public:
  static Result<PodStore> open(const std::string& dir);
  Result<void> put(const PodSandbox& pod);
  Result<void> remove(const std::string& id);  // missing is fine
  // Every readable record; one that does not read is skipped with a warning.
  std::vector<PodSandbox> load_all() const;

 private:
  explicit PodStore(std::string dir) : dir_(std::move(dir)) {}
  std::string path_of(const std::string& id) const { return dir_ + "/" + id + ".json"; }
  std::string dir_;
};

}  // namespace berth::cri
