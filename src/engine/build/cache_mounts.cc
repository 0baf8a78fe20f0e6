// CacheMounts: who uses which instance of which cache, and the directories.
#include "engine/build/cache_mounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/file.h"
#include "base/strings.h"
#include "content/digest.h"

namespace berth::engine {
namespace {

bool is_new_instance(const std::string& name) { return name.find(".new-") != std::string::npos; }

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename());
  return out;
}

}  // namespace

Result<void> CacheMounts::open() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail(Errc::Internal, "creating " + dir_ + ": " + ec.message());
  for (const auto& key : names_in(dir_))
    for (const auto& name : names_in(dir_ + "/" + key))
      if (is_new_instance(name)) std::filesystem::remove_all(dir_ + "/" + key + "/" + name, ec);
  return {};
}

Result<std::unique_ptr<CacheMounts::Lease>> CacheMounts::acquire(const std::string& id, build::CacheSharing sharing,
                                                                 const Init& init) {
  const std::string key = content::sha256(id).hex();
  int instance = 0;
  bool exclusive = false;
  {
    std::unique_lock lk(mu_);
    for (;;) {
      if (!removing_.contains(key)) {
        auto& u = users_[key];
        if (sharing == build::CacheSharing::shared && !u.exclusive) {
          ++u.shared;
          break;
        }
        if (sharing != build::CacheSharing::shared && !u.exclusive && u.shared == 0) {
          u.exclusive = exclusive = true;
          break;
        }
        if (sharing == build::CacheSharing::private_) {
          instance = 1;
          while (u.private_busy.contains(instance)) ++instance;
          u.private_busy.insert(instance);
          exclusive = true;
          break;
        }
      }
      if (on_wait_) on_wait_(id);
      cv_.wait(lk);
    }
  }
  auto lease = std::make_unique<Lease>(*this, key, instance, exclusive, std::string());
  lease->path_ = TRY(instance_dir(key, id, instance, init));
  return lease;
}

void CacheMounts::release(const std::string& key, int instance, bool exclusive) {
  std::lock_guard lk(mu_);
  auto it = users_.find(key);
  if (it == users_.end()) return;
  auto& u = it->second;
  if (instance > 0) u.private_busy.erase(instance);
  else if (exclusive) u.exclusive = false;
  else --u.shared;
  if (u.empty()) users_.erase(it);
  cv_.notify_all();
}

Result<std::string> CacheMounts::instance_dir(const std::string& key, const std::string& id, int instance,
                                              const Init& init) {
  const std::string top = dir_ + "/" + key;
  if (::mkdir(top.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating the cache mount " + top);
  if (dir_owner_ && ::chown(top.c_str(), dir_owner_->first, dir_owner_->second) != 0)
    return fail_errno("setting the owner of the cache mount " + top);
  if (::access((top + "/id").c_str(), F_OK) != 0) TRYV(write_file_atomic(top + "/id", id, 0600, false));
  ::utimensat(AT_FDCWD, top.c_str(), nullptr, 0);  // last used: for builder prune's until
  const std::string path = top + "/" + std::to_string(instance);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail(Errc::Internal, "the cache mount " + path + " is not a directory");
    return path;
  }
  // Made aside and renamed into place, so nobody sees it half filled.
  std::string tmp = path + ".new-XXXXXX";
  if (!::mkdtemp(tmp.data())) return fail_errno("creating the cache mount " + path);
  auto made = [&]() -> Result<void> {
    if (init.fill) TRYV(init.fill(tmp));
    if (::chown(tmp.c_str(), init.uid, init.gid) != 0) return fail_errno("setting the owner of the cache mount " + path);
    if (::chmod(tmp.c_str(), init.mode) != 0) return fail_errno("setting the mode of the cache mount " + path);
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0 && errno != EEXIST)
      return fail_errno("creating the cache mount " + path);
    return {};
  }();
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);  // what lost a race (or failed)
  TRYV(made);
  return path;
}

std::vector<CacheMounts::Entry> CacheMounts::list() {
  std::vector<Entry> out;
  std::lock_guard lk(mu_);
  for (const auto& key : names_in(dir_)) {
    Entry e;
    e.key = key;
    e.id = read_file(dir_ + "/" + key + "/id").value_or("");
    struct stat st {};
    if (::stat((dir_ + "/" + key).c_str(), &st) == 0) e.last_used_s = st.st_mtim.tv_sec;
    e.in_use = users_.contains(key);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<CacheMounts::Entry> CacheMounts::remove_if(const std::function<bool(const Entry&)>& drop) {
  std::vector<Entry> removed;
  for (auto& e : list()) {
    if (e.in_use || !drop(e)) continue;
    {
      std::lock_guard lk(mu_);
      if (users_.contains(e.key)) continue;  // taken meanwhile
      removing_.insert(e.key);
    }
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_ + "/" + e.key, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) e.size += static_cast<int64_t>(it->file_size(ec));
    ec.clear();
    std::filesystem::remove_all(dir_ + "/" + e.key, ec);
    {
      std::lock_guard lk(mu_);
      removing_.erase(e.key);
    }
    cv_.notify_all();
    if (!ec) removed.push_back(std::move(e));
  }
  return removed;
}

}  // namespace berth::engine
