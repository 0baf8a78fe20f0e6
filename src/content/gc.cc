// Garbage collection: unreferenced blobs and abandoned ingest temps.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <vector>

#include "content/store.h"
#include "content/store_dirs.h"

namespace berth::content {

Result<GcResult> Store::clean_ingest(std::chrono::seconds stale_temp_age) {
  GcResult out;
  UniqueFd fd(::openat(dirs_->ingest_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("sweeping " + dirs_->root + "/ingest");
  DIR* dir = ::fdopendir(fd.release());
  if (!dir) return fail_errno("sweeping " + dirs_->root + "/ingest");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);

  const time_t now = ::time(nullptr);
  for (const auto& name : names) {
    UniqueFd tfd(::openat(dirs_->ingest_fd.get(), name.c_str(),
                          O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!tfd) continue;  // gone already, or not a file we can open
    // A live writer holds the lock (a killed one's lock died with it).
    if (::flock(tfd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    struct stat st;
    if (::fstat(tfd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    // mtime moves with every write, so this is idle time; it also covers the
    // instant between a writer's create and its flock.
    if (now - st.st_mtime < stale_temp_age.count()) continue;
    if (::unlinkat(dirs_->ingest_fd.get(), name.c_str(), 0) != 0) continue;
    out.removed_temps.push_back(name);
    out.bytes_freed += static_cast<uint64_t>(st.st_size);
  }
  return out;
}

Result<GcResult> Store::gc(const std::unordered_set<Digest>& referenced,
                           std::chrono::seconds stale_temp_age) {
  GcResult out;
  auto blobs = TRY_CTX(list(), "garbage collecting " + dirs_->root);
  std::unordered_set<std::string> touched_algorithms;
  for (auto& blob : blobs) {
    if (referenced.contains(blob.digest)) continue;
    if (auto r = remove(blob.digest); !r) {
      if (r.error().code == Errc::NotFound) continue;  // removed concurrently
      return std::unexpected(std::move(r).error().wrap("garbage collecting " + dirs_->root));
    }
    touched_algorithms.insert(blob.digest.algorithm());
    out.bytes_freed += blob.size;
    out.removed_blobs.push_back(std::move(blob.digest));
  }
  for (const auto& alg : touched_algorithms)
    TRYV(detail::sync_dir_at(dirs_->blobs_fd.get(), alg, "garbage collecting " + dirs_->root));
  auto temps = TRY_CTX(clean_ingest(stale_temp_age), "garbage collecting " + dirs_->root);
  out.removed_temps = std::move(temps.removed_temps);
  out.bytes_freed += temps.bytes_freed;
  return out;
}

}  // namespace berth::content
