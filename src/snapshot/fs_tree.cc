#include "snapshot/fs_tree.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <utility>

namespace berth::snapshot {
namespace {

// nftw keeps no user pointer, so the walk state lives in thread-local globals.
thread_local std::set<std::pair<dev_t, ino_t>>* tl_seen = nullptr;
thread_local Usage* tl_usage = nullptr;

int count_entry(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_NS) return 0;  // vanished while walking
  if (!tl_seen->insert({st->st_dev, st->st_ino}).second) return 0;
  tl_usage->inodes++;
  // Docker's layer and container sizes (directory.Size): the apparent size of
  // everything but directories, not the blocks a filesystem allocated.
  if (!S_ISDIR(st->st_mode)) tl_usage->bytes += static_cast<int64_t>(st->st_size);
  return 0;
}

thread_local int tl_remove_errno = 0;
thread_local std::string* tl_remove_failed = nullptr;

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  int rc = (type == FTW_DP) ? ::rmdir(path) : ::unlink(path);
  if (rc != 0 && errno != ENOENT) {
    tl_remove_errno = errno;
    *tl_remove_failed = path;
    return 1;
  }
  return 0;
}

}  // namespace

Result<void> remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno("inspecting " + path);
  }
  std::string failed;
  tl_remove_failed = &failed;
  tl_remove_errno = 0;
  int rc = ::nftw(path.c_str(), remove_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (rc != 0) {
    if (rc > 0) return fail_errno("removing " + failed, tl_remove_errno);
    return fail_errno("walking " + path + " to remove it");
  }
  return {};
}

Result<Usage> disk_usage(const std::string& path) {
  Usage usage;
  std::set<std::pair<dev_t, ino_t>> seen;
  tl_seen = &seen;
  tl_usage = &usage;
  if (::nftw(path.c_str(), count_entry, 64, FTW_PHYS) != 0)
    return fail_errno("measuring disk usage of " + path);
  return usage;
}

}  // namespace berth::snapshot
