// The one place that writes tar entries onto a directory tree: layer apply
// (apply.cc) and docker cp's PUT archive (container_archive_extract.cc) both
// go through it, so both get every defence:
//  - every path is resolved inside `root` (Resolver): a symlink in the tree
//    or written by an earlier entry never leads outside it;
//  - refused with InvalidArgument naming the entry: names climbing out of
//    the base ("../x"), hard links out of the base, to the base, to a
//    directory or to nothing, a non-directory over the base itself, file
//    types other than regular, directory, symlink, hard link, character
//    and block devices and FIFOs, sizes over the per-entry and total
//    limits, and (policy) symlinks pointing out of the base;
//  - owner before mode (chown clears setuid) before xattrs (chown clears
//    security.capability); trusted.overlay.* xattrs are never written (only
//    whiteout entries may steer overlayfs); xattrs the filesystem or our
//    privileges refuse (ENOTSUP, EPERM) are skipped with a warning, as Docker;
//  - a file lands by create-then-write (O_EXCL, O_NOFOLLOW): an existing
//    entry is replaced, never written through; an existing directory is
//    merged with a directory entry;
//  - directory times are set by finish(), once nothing below changes them.
// Whiteouts are the caller's: it sees each entry's path first (admit()).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <functional>
#include <vector>

#include "base/error.h"
#include "layer/fs_util.h"
#include "layer/resolver.h"

namespace berth::layer {

struct EntryPolicy {
  // The directory entry names are relative to, inside root, canonical and
  // existing ("" = root itself: a layer's snapshot directory).
  std::string base;
  // A ".." above root met while following a symlink: refused (a layer), or
  // kept at root as in a chroot (a container's tree).
  bool clamp_dotdot = false;
  // Owner of every entry and of the directories the archive implies
  // (docker cp -a). Unset: each entry keeps the tar's uid/gid when we run as
  // root, and implied directories are ours.
  std::optional<Owner> owner;
  // Applied to the tar's uid/gid when they are kept (userns-remap: the
  // container's ids -> the host's); an error refuses the entry.
  std::function<Result<Owner>(Owner)> map_owner;
  // Docker's noOverwriteDirNonDir: refuse to replace a directory with a
  // non-directory or the reverse (instead of replacing).
  bool no_overwrite_dir_non_dir = false;
  // go-archive's breakout rule for symlinks: a target that, joined to the
  // link's directory, climbs out of the base is refused. Layers store link
  // targets as data (they are only ever resolved inside the root).
  bool refuse_symlinks_leaving_base = false;
  uint64_t max_entry_size = uint64_t{64} << 30;   // one file's size, as its header claims
  uint64_t max_total_size = uint64_t{256} << 30;  // sum over the archive
  EntryNaming naming;
};

class EntryWriter {
 public:
  // `root`: an open directory fd (O_PATH is enough) that outlives the writer.
  EntryWriter(int root, EntryPolicy policy);

  // Checks an entry's header (name, size limits) and returns its path
  // relative to the base, cleaned ("" = the base). Call it for every entry,
  // whiteouts included.
  Result<std::string> admit(archive_entry* e);
  // Writes an admitted entry at `path`, its data read from `a`.
  Result<void> write(archive* a, archive_entry* e, const std::string& path);
  // An O_PATH fd of directory `rel` (relative to the base), valid until the
  // next call or forget(); created when missing and `create` is set (0755,
  // owned by policy.owner), else NotFound. Errors name `entry`.
  Result<int> dir(const std::string& rel, const std::string& entry, bool create = true);
  // Drops the cached directory (after removals that may have taken it).
  void forget() { resolver_.forget(); }
  // Sets the times of the directories written, after the last entry.
  Result<void> finish();

  uint64_t entries() const { return entries_; }
  const EntryNaming& naming() const { return policy_.naming; }

 private:
  Result<void> hard_link(int pfd, const std::string& leaf, const std::string& path, const char* target);
  // Creates leaf with op(); on a clash replaces what is there (or refuses,
  // per policy). False when an existing directory is kept for a directory.
  template <class Op>
  Result<bool> create(int dirfd, const std::string& leaf, const std::string& path, bool want_dir, Op&& op);
  Result<void> write_data(archive* a, int fd, const std::string& path);
  Result<void> metadata(archive_entry* e, int pfd, const std::string& leaf, int fd, const std::string& path);
  std::string under_base(const std::string& rel) const;

  struct DirTime {
    std::string path;
    timespec times[2];
  };

  EntryPolicy policy_;
  bool is_root_;
  Resolver resolver_;
  uint64_t entries_ = 0;
  uint64_t total_ = 0;
  std::vector<DirTime> dir_times_;
  std::unordered_map<std::string, size_t> dir_time_index_;  // a repeated directory entry wins
};

}  // namespace berth::layer
