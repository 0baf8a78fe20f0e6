// RUN --mount=type=secret: the secret's bytes as a file on a tmpfs of the
// daemon's own (DATA_ROOT/builder/secrets, mode 0700, mounted at the first
// secret and gone with the daemon), bind-mounted read-only into the RUN
// container and deleted when the RUN ends. They never touch a disk, a layer
// (the bind is a mount, not a file of the rootfs), the cache key or a log.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace berth::engine {

class SecretFiles {
 public:
  explicit SecretFiles(std::string dir) : dir_(std::move(dir)) {}
  ~SecretFiles();
  // Unmounts what a daemon that died left there.
  void open();

  class File {
   public:
    explicit File(std::string dir) : dir_(std::move(dir)) {}
    ~File();
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    std::string path() const { return dir_ + "/secret"; }

   private:
    std::string dir_;
  };
  // Under --userns-remap the RUN containers' root must pass through the tmpfs's root
  // (0700) to bind-mount a secret: it is mounted as that root's.
  void own_dir_by(uid_t uid, gid_t gid) { dir_owner_ = {uid, gid}; }
  // A new file holding bytes, with that owner and mode.
  Result<std::unique_ptr<File>> write(std::string_view bytes, mode_t mode, uid_t uid, gid_t gid);

 private:
  Result<void> mount_once();
  std::string dir_;
  std::optional<std::pair<uid_t, gid_t>> dir_owner_;
  std::mutex mu_;
  bool mounted_ = false;
};

}  // namespace berth::engine
