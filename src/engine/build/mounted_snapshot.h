// A writable snapshot of an image (or of nothing: scratch), mounted under
// the builder's directory for a file step; unmounted and removed when it
// goes (after its changes were committed, or not).
#pragma once

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "engine/build/engine_primitives.h"
#include "snapshot/mount.h"

namespace berth::engine {

class MountedSnapshot {
 public:
  MountedSnapshot(BuildEnv& env, std::string key, std::string target) : env_(env), key_(std::move(key)), target_(std::move(target)) {}
  ~MountedSnapshot() {
    unmount();
    std::lock_guard lk(env_.image_mu);
    (void)env_.images.snapshots().remove(key_);
  }
  Result<void> mount(const std::vector<snapshot::Mount>& mounts) {
    if (::mkdir(target_.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + target_);
    TRYV(snapshot::mount_all(mounts, target_));
    mounted_ = true;
    root_ = UniqueFd(::open(target_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_) return fail_errno("opening " + target_);
    return {};
  }
  void unmount() {
    root_.reset();
    if (mounted_) (void)snapshot::unmount_all(target_);
    mounted_ = false;
    ::rmdir(target_.c_str());
  }
  int root() const { return root_.get(); }
  const std::string& key() const { return key_; }
  const std::string& path() const { return target_; }

 private:
  BuildEnv& env_;
  std::string key_, target_;
  bool mounted_ = false;
  UniqueFd root_;
};

}  // namespace berth::engine
