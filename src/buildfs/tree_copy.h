// The copy of files and trees behind COPY/ADD, fd to fd: every destination
// entry is created in a directory fd this code opened itself (O_NOFOLLOW at
// every step), so nothing is written through a symlink, and nothing is read
// outside the source directory it was given. What Docker's CopyWithTar /
// CopyFileWithTar plus fixPermissions leave behind, without a tar between.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "base/error.h"
#include "buildfs/copy.h"

namespace berth::buildfs {

class TreeCopier {
 public:
  // top_dst: the directory the copy writes into (hard links are resolved
  // from it, beneath it and without symlinks).
  TreeCopier(const CopyOptions& options, int top_dst);

  // The entries of directory src into directory dst (both directory fds).
  Result<void> children(int src, int dst, const std::string& prefix);
  // One entry: src_dir/src_name (lstat st) as dst_dir/dst_name; rel is its
  // path below top_dst (for hard links and messages).
  Result<void> entry(int src_dir, const std::string& src_name, const struct stat& st, int dst_dir,
                     const std::string& dst_name, const std::string& rel);
  // Owner and mode of a directory the copy created for its contents.
  Result<void> created_dir(int fd) const;

  uint64_t written() const { return written_; }

 private:
  Owner owner_for(const struct stat& st) const;
  mode_t mode_for(const struct stat& st) const;
  // Creates dst_name with op() (0 or -1 and errno, as the syscall). On a
  // clash, an existing directory is kept for a directory (false: merged),
  // anything else is removed and op() tried again (true: created).
  template <class Op>
  Result<bool> make(int dst_dir, const std::string& dst_name, bool want_dir, const std::string& rel, Op&& op) const;
  Result<bool> hard_link(const struct stat& st, int dst_dir, const std::string& dst_name, const std::string& rel);
  Result<void> file(int src_dir, const std::string& src_name, const struct stat& st, int dst_dir,
                    const std::string& dst_name, const std::string& rel);
  Result<void> attributes(int fd, const struct stat& st, const std::string& rel) const;

  const CopyOptions& options_;
  int top_dst_;
  uint64_t written_ = 0;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first path (below top_dst) of each linked inode
  std::unique_ptr<char[]> buf_;
};

}  // namespace berth::buildfs
