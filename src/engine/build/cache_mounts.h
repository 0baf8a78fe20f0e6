// RUN --mount=type=cache: persistent directories under
// DATA_ROOT/builder/cache-mounts, one per cache id (the sha256 of the id
// names it; the id itself is in its `id` file), shared by every build of the
// daemon and kept across restarts. Each holds instance 0 (what shared and
// locked users see) and, for private users who found 0 busy, instances 1, 2,
// ... of their own. Who uses what is the daemon's memory only: a restart
// frees everything.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "build/run_mount.h"

namespace berth::engine {

class CacheMounts {
 public:
  explicit CacheMounts(std::string dir) : dir_(std::move(dir)) {}
  Result<void> open();  // creates the directory; drops instances a crash left half made

  // Held while a RUN uses an instance; releasing wakes who waits for it.
  class Lease {
   public:
    Lease(CacheMounts& owner, std::string key, int instance, bool exclusive, std::string path)
        : owner_(owner), key_(std::move(key)), instance_(instance), exclusive_(exclusive), path_(std::move(path)) {}
    ~Lease() { owner_.release(key_, instance_, exclusive_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    const std::string& path() const { return path_; }
    int instance() const { return instance_; }

   private:
    friend class CacheMounts;
    CacheMounts& owner_;
    std::string key_;
    int instance_;
    bool exclusive_;
    std::string path_;
  };

  // How a new instance starts: its root's owner and mode, and what fills it
  // (mount from=: called with the new directory, before anyone sees it).
  struct Init {
    mode_t mode = 0755;
    uid_t uid = 0;
    gid_t gid = 0;
    std::function<Result<void>(const std::string& dir)> fill;
  };
  // shared: instance 0 alongside other shared users (waits while a locked
  // or private user has it). locked: instance 0 alone (waits for every
  // other user of it). private: instance 0 if nobody uses it, else the first
  // other instance nobody uses (made now, empty or filled, if none).
  Result<std::unique_ptr<Lease>> acquire(const std::string& id, build::CacheSharing sharing, const Init& init);

  struct Entry {
    std::string key;  // the directory's name
    std::string id;
    int64_t last_used_s = 0;
    bool in_use = false;
    int64_t size = 0;  // bytes of its files: set by remove_if
  };
  std::vector<Entry> list();
  // Removes the caches `drop` picks that no RUN uses; returns them.
  std::vector<Entry> remove_if(const std::function<bool(const Entry&)>& drop);
  // Under --userns-remap the RUN containers' root must pass through each cache's own
  // directory (0700) to bind-mount an instance: it is made that root's, not the host's.
  void own_dirs_by(uid_t uid, gid_t gid) { dir_owner_ = {uid, gid}; }
  // Tests: called (under the lock) each time an acquire starts to wait.
  void on_wait(std::function<void(const std::string& id)> fn) { on_wait_ = std::move(fn); }

 private:
  struct Users {
    int shared = 0;                // users of instance 0 alongside others
    bool exclusive = false;        // instance 0 held alone (locked, or private)
    std::set<int> private_busy;    // instances > 0 in use
    bool empty() const { return shared == 0 && !exclusive && private_busy.empty(); }
  };
  void release(const std::string& key, int instance, bool exclusive);
  // dir_/key/instance, made (with init) if missing.
  Result<std::string> instance_dir(const std::string& key, const std::string& id, int instance, const Init& init);

  std::string dir_;
  std::optional<std::pair<uid_t, gid_t>> dir_owner_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Users> users_;  // by key
  std::set<std::string> removing_;      // keys being pruned: acquire waits
  std::function<void(const std::string& id)> on_wait_;
};

}  // namespace berth::engine
