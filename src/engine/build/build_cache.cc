#include "engine/build/build_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/file.h"
#include "base/log.h"
#include "content/digest.h"

namespace berth::engine {

Result<void> BuildCache::open() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail(Errc::Internal, "creating the build cache directory " + dir_ + ": " + ec.message());
  return {};
}

std::string BuildCache::path_of(const std::string& key) const {
  return dir_ + "/" + content::sha256(key).hex();
}

std::optional<std::string> BuildCache::get(const std::string& key) {
  std::string path = path_of(key);
  auto id = read_file(path);
  if (!id || !id->starts_with("sha256:")) return std::nullopt;
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // last used: what prune's `until` reads
  return *id;
}

void BuildCache::put(const std::string& key, const std::string& image_id) {
  // Not durable: a lost entry only costs a rebuilt step.
  if (auto r = write_file_atomic(path_of(key), image_id, 0600, false); !r)
    log::warn("build cache: {}", r.error().str());
}

std::vector<BuildCache::Entry> BuildCache::list() {
  std::lock_guard lk(mu_);
  std::vector<Entry> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() != 64) continue;  // not an entry (a temporary file, ".", "..")
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, 0) != 0) continue;
    auto id = read_file(dir_ + "/" + name);
    if (!id) continue;
    out.push_back({name, *id, static_cast<int64_t>(st.st_mtim.tv_sec)});
  }
  ::closedir(d);
  return out;
}

std::vector<BuildCache::Entry> BuildCache::remove_if(const std::function<bool(const Entry&)>& drop) {
  std::vector<Entry> removed;
  for (auto& e : list())
    if (drop(e) && ::unlink((dir_ + "/" + e.name).c_str()) == 0) removed.push_back(std::move(e));
  return removed;
}

}  // namespace berth::engine
