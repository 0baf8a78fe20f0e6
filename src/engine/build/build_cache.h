// The builder's cache: a step's key (its parent image, its instruction as
// expanded, the build args in scope, its sources' content digest: see
// build::Dispatcher::cache_key) -> the image the step made. One small file
// per entry under DATA_ROOT/builder/cache, named by the key's sha256 and
// written atomically, so it survives restarts and a crash leaves an entry
// whole or absent. An entry whose image is gone is a miss (and pruned).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::engine {

class BuildCache {
 public:
  explicit BuildCache(std::string dir) : dir_(std::move(dir)) {}
  Result<void> open();  // creates the directory

  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, const std::string& image_id);

  struct Entry {
    std::string name;      // the file (key digest)
    std::string image_id;
    int64_t last_used_s = 0;  // the entry's mtime: put or last get
  };
  std::vector<Entry> list();
  // Removes the entries `drop` picks; returns them.
  std::vector<Entry> remove_if(const std::function<bool(const Entry&)>& drop);

 private:
  std::string path_of(const std::string& key) const;
  std::string dir_;
  std::mutex mu_;
};

}  // namespace berth::engine
