#include "cri/image_fs.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <utility>

namespace berth::cri {

namespace {

// nftw has no user pointer: the walk's state lives here for the one walk in progress.
thread_local std::set<std::pair<dev_t, ino_t>>* g_seen = nullptr;
thread_local FsUsage* g_usage = nullptr;

int visit(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_NS) return 0;  // vanished or unreadable: counted as nothing
  if (!g_seen->insert({st->st_dev, st->st_ino}).second) return 0;
  g_usage->inodes_used++;
  g_usage->used_bytes += static_cast<uint64_t>(st->st_blocks) * 512;
  return 0;
}

}  // namespace

Result<std::string> mountpoint_of(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::canonical(path, ec);
  if (ec) return fail(errc_from_errno(ec.value()), "resolving " + path + ": " + ec.message(), ec.value());
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return fail_errno("stat " + p.string());
  dev_t dev = st.st_dev;
  while (p.has_parent_path() && p.parent_path() != p) {
    struct stat up {};
    if (::stat(p.parent_path().c_str(), &up) != 0 || up.st_dev != dev) break;
    p = p.parent_path();
  }
  return p.string();
}

Result<FsUsage> measure_fs_usage(const std::vector<std::string>& dirs) {
  FsUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;
  g_seen = &seen;
  g_usage = &usage;
  for (const auto& d : dirs) {
    struct stat st {};
    if (::lstat(d.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      g_seen = nullptr;
      return fail_errno("stat " + d);
    }
    if (usage.mountpoint.empty()) {
      auto m = mountpoint_of(d);
      if (!m) {
        g_seen = nullptr;
        return std::unexpected(m.error());
      }
      usage.mountpoint = *m;
    }
    // FTW_PHYS: a symlink is itself, never its target; FTW_MOUNT: stay on the store's filesystem
    // (a running container's overlay mounted under the snapshots is not the store's usage).
    if (::nftw(d.c_str(), visit, 64, FTW_PHYS | FTW_MOUNT) != 0) {
      g_seen = nullptr;
      return fail_errno("measuring " + d);
    }
  }
  g_seen = nullptr;
  g_usage = nullptr;
  return usage;
}

}  // namespace berth::cri
