#include "snapshot/local.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "base/defer.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "snapshot/fs_tree.h"

namespace berth::snapshot {
namespace {

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("creating " + path);
  return {};
}

// Makes a new directory entry survive power loss before metadata names it.
Result<void> sync_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) return fail_errno("syncing directory " + path);
  return {};
}

}  // namespace

Result<void> LocalSnapshotter::open_root(const std::string& root, const std::string& driver) {
  if (root.empty() || root[0] != '/')
    return fail(Errc::InvalidArgument, "snapshot root \"" + root + "\" is not an absolute path");
  root_ = root;
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  TRYV(make_dir(root_, 0700));
  TRYV(make_dir(snapshots_dir(), 0700));
  md_ = TRY(Metadata::open(metadata_path(), driver));
  return collect_garbage();
}

Result<void> LocalSnapshotter::collect_garbage() {
  std::set<std::string> live;
  for (const auto& [key, info] : md_.all()) live.insert(std::to_string(info.id));
  DIR* dir = ::opendir(snapshots_dir().c_str());
  if (!dir) return fail_errno("opening " + snapshots_dir());
  std::vector<std::string> stale;
  while (struct dirent* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (parse_uint(name) && !live.contains(name)) stale.push_back(name);
  }
  ::closedir(dir);
  for (const auto& name : stale) {
    log::info("removing snapshot directory {} left by an interrupted operation", name);
    TRYV(remove_tree(snapshots_dir() + "/" + name));
  }
  return {};
}

Result<std::vector<Info>> LocalSnapshotter::chain(const std::string& parent) const {
  std::vector<Info> out;
  for (std::string key = parent; !key.empty();) {
    Info info = TRY(md_.get(key));
    out.push_back(info);
    key = info.parent;
  }
  return out;
}

Result<std::vector<Mount>> LocalSnapshotter::create(const std::string& key,
                                                    const std::string& parent, Kind kind) {
  if (key.empty()) return fail(Errc::InvalidArgument, "snapshot key is empty");
  std::lock_guard lock(mu_);
  if (md_.contains(key)) return fail(Errc::AlreadyExists, "snapshot \"" + key + "\" already exists");
  if (!parent.empty()) {
    Info p = TRY_CTX(md_.get(parent), "parent of \"" + key + "\"");
    if (p.kind != Kind::Committed)
      return fail(Errc::InvalidArgument, "parent \"" + parent + "\" of \"" + key + "\" is " +
                                             kind_name(p.kind) + ", not committed");
  }
  auto parents = TRY(chain(parent));
  Info info{key, parent, kind, md_.next_id()};
  std::string dir = dir_of(info.id);
  TRYV(remove_tree(dir));  // a leftover of a crash in this same process lifetime
  if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno("creating snapshot directory " + dir);
  Defer cleanup([&] { (void)remove_tree(dir); });
  TRYV_CTX(populate(dir, info, parents), "creating snapshot \"" + key + "\"");
  // A container's writable snapshot (Active) is not fsynced: it is made on
  // the start path, and a power loss that drops it leaves a directory the
  // next open collects. Layers are committed, and commits are durable.
  bool durable = kind != Kind::Active;
  if (durable) TRYV(sync_dir(snapshots_dir()));
  TRYV_CTX(md_.add(info, durable), "creating snapshot \"" + key + "\"");
  cleanup.dismiss();
  return describe(info, parents);
}

Result<std::vector<Mount>> LocalSnapshotter::prepare(const std::string& key,
                                                     const std::string& parent) {
  return create(key, parent, Kind::Active);
}

Result<std::vector<Mount>> LocalSnapshotter::view(const std::string& key,
                                                  const std::string& parent) {
  return create(key, parent, Kind::View);
}

Result<void> LocalSnapshotter::commit(const std::string& name, const std::string& key) {
  if (name.empty()) return fail(Errc::InvalidArgument, "commit name is empty");
  std::lock_guard lock(mu_);
  Info info = TRY(md_.get(key));
  if (info.kind != Kind::Active)
    return fail(Errc::InvalidArgument, "cannot commit snapshot \"" + key + "\": it is " +
                                           kind_name(info.kind) + ", not active");
  if (md_.contains(name))
    return fail(Errc::AlreadyExists, "cannot commit \"" + key + "\" as \"" + name +
                                         "\": a snapshot with that name already exists");
  return md_.rename_committed(key, name);
}

Result<void> LocalSnapshotter::remove(const std::string& key) {
  std::lock_guard lock(mu_);
  Info info = TRY(md_.get(key));
  if (md_.has_children(key)) {
    std::vector<std::string> kids;
    for (const auto& [k, i] : md_.all())
      if (i.parent == key) kids.push_back("\"" + k + "\"");
    return fail(Errc::Conflict, "cannot remove snapshot \"" + key + "\": it is the parent of " +
                                    join(kids, ", ") + "; remove those first");
  }
  TRYV_CTX(md_.erase(key, info.kind != Kind::Active), "removing snapshot \"" + key + "\"");
  // Forgotten already: a failure here leaves garbage that the next open deletes.
  if (auto r = remove_tree(dir_of(info.id)); !r)
    log::warn("snapshot \"{}\" removed, but its directory stays until restart: {}", key,
              r.error().str());
  return {};
}

Result<Info> LocalSnapshotter::stat(const std::string& key) {
  std::lock_guard lock(mu_);
  return md_.get(key);
}

Result<Usage> LocalSnapshotter::usage(const std::string& key) {
  std::string fs;
  {
    std::lock_guard lock(mu_);
    fs = dir_of(TRY(md_.get(key)).id) + "/fs";
  }
  return TRY_CTX(disk_usage(fs), "usage of snapshot \"" + key + "\"");
}

Result<std::vector<Mount>> LocalSnapshotter::mounts(const std::string& key) {
  std::lock_guard lock(mu_);
  Info info = TRY(md_.get(key));
  if (info.kind == Kind::Committed)
    return fail(Errc::InvalidArgument, "snapshot \"" + key +
                                           "\" is committed; prepare or view a child to mount it");
  return describe(info, TRY(chain(info.parent)));
}

Result<void> LocalSnapshotter::walk(const std::function<Result<void>(const Info&)>& fn) {
  std::map<std::string, Info> copy;
  {
    std::lock_guard lock(mu_);
    copy = md_.all();
  }
  // A copy, so fn may call back into the snapshotter.
  for (const auto& [key, info] : copy) TRYV(fn(info));
  return {};
}

}  // namespace berth::snapshot
