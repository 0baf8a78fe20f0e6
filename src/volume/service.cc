#include "volume/service.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "base/go_time.h"
#include "base/prune_filter.h"
#include "base/log.h"
#include "snapshot/fs_tree.h"

namespace berth::volume {
namespace {

using json = nlohmann::json;
constexpr const char* kTrashPrefix = ".trash-";

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += digits[c >> 4], out += digits[c & 15];
  return out;
}

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

std::unexpected<Error> no_such_volume(const std::string& name) {
  return fail(Errc::NotFound, "get " + name + ": no such volume");
}

bool is_mount_point(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0) return false;
  if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  struct stat self {}, parent {};
  if (::lstat(path.c_str(), &self) != 0 || ::lstat((path + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("creating " + path);
  return {};
}

thread_local std::set<std::pair<dev_t, ino_t>>* tl_seen = nullptr;
thread_local int64_t tl_size = 0;

int size_entry(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_NS) return 0;
  if (st->st_nlink > 1 && !tl_seen->insert({st->st_dev, st->st_ino}).second) return 0;
  if (!S_ISDIR(st->st_mode)) tl_size += st->st_size;
  return 0;
}

}  // namespace

Result<int64_t> tree_size(const std::string& path) {
  std::set<std::pair<dev_t, ino_t>> seen;
  tl_seen = &seen;
  tl_size = 0;
  int rc = ::nftw(path.c_str(), size_entry, 32, FTW_PHYS | FTW_MOUNT);
  tl_seen = nullptr;
  if (rc != 0) return fail_errno("measuring " + path);
  return tl_size;
}

Result<std::unique_ptr<VolumeService>> VolumeService::open(const std::string& data_root, const std::string& db_path) {
  std::error_code ec;
  std::filesystem::create_directories(data_root, ec);
  if (ec) return fail(errc_from_errno(ec.value()), "creating " + data_root + ": " + ec.message(), ec.value());
  std::string root = std::filesystem::absolute(data_root).lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  root += "/volumes";
  TRYV(make_dir(root, 0701));
  auto store = TRY(metadata::VolumeStore::open(db_path));
  std::unique_ptr<VolumeService> svc(new VolumeService(root, std::move(store)));

  // Finish removals a crash interrupted.
  if (DIR* d = ::opendir(root.c_str())) {
    std::vector<std::string> trash;
    while (auto* e = ::readdir(d))
      if (std::string_view(e->d_name).starts_with(kTrashPrefix)) trash.push_back(root + "/" + e->d_name);
    ::closedir(d);
    for (const auto& t : trash)
      if (auto r = snapshot::remove_tree(t); !r) log::warn("volumes: removing {}: {}", t, r.error().str());
  }
  for (const auto& row : TRY(svc->store_.list())) {
    std::string dir = svc->volume_dir(row.name);
    if (::access((dir + "/_data").c_str(), F_OK) != 0) {
      log::warn("volumes: the directory of volume {} is missing; recreating it empty", row.name);
      TRYV(make_dir(dir, 0755));
      TRYV(make_dir(dir + "/_data", 0755));
    }
    auto doc = json::parse(row.doc, nullptr, false);
    if (needs_mount(string_map(doc.value("Options", json())))) {
      if (is_mount_point(dir + "/_data")) svc->mounted_.insert(row.name);
    }
  }
  return svc;
}

std::string VolumeService::data_dir(const std::string& name) const { return volume_dir(name) + "/_data"; }

bool VolumeService::is_mounted(const std::string& name) const {
  std::lock_guard lk(mu_);
  return mounted_.contains(name);
}

void VolumeService::set_in_use(InUse in_use) {
  std::lock_guard lk(mu_);
  in_use_ = std::move(in_use);
}

void VolumeService::set_events(EventSink sink) {
  std::lock_guard lk(mu_);
  events_ = std::move(sink);
}

void VolumeService::emit(const std::string& action, const std::string& name,
                         const std::map<std::string, std::string>& attrs) {
  EventSink sink;
  {
    std::lock_guard lk(mu_);
    sink = events_;
  }
  if (sink) sink(action, name, attrs);
}

std::vector<std::string> VolumeService::users(const std::string& name) {
  InUse in_use;
  {
    std::lock_guard lk(mu_);
    in_use = in_use_;
  }
  std::vector<std::string> out;
  if (in_use) out = in_use(name);
  std::lock_guard lk(mu_);
  if (auto it = users_.find(name); it != users_.end())
    for (const auto& [cid, n] : it->second)
      if (std::find(out.begin(), out.end(), cid) == out.end()) out.push_back(cid);
  return out;
}

Result<json> VolumeService::get_locked(const std::string& name) {
  auto row = TRY(store_.get(name));
  if (!row) return no_such_volume(name);
  auto doc = json::parse(row->doc, nullptr, false);
  if (!doc.is_object()) return fail(Errc::Internal, "volume " + name + ": the stored record is not valid JSON");
  return doc;
}

Result<json> VolumeService::create(const std::string& name_in, const std::string& driver_in, const Options& opts,
                                   const Labels& labels_in) {
  std::string driver = driver_in.empty() ? kLocalDriver : driver_in;
  std::string name = name_in;
  Labels labels = labels_in;
  if (name.empty()) {
    name = random_hex(32);
    labels[kAnonymousLabel] = "";
  }
  if (driver != kLocalDriver)
    return fail(Errc::NotFound, "error looking up volume plugin " + driver + ": plugin \"" + driver + "\" not found");
  TRYV_CTX(check_name(name), "create " + name);
  TRYV_CTX(check_options(opts), "create " + name);

  json doc;
  {
    std::lock_guard lk(mu_);
    auto existing = TRY(store_.get(name));
    if (existing) {
      auto d = json::parse(existing->doc, nullptr, false);
      if (d.value("Driver", "") != driver)
        return fail(Errc::Conflict, "create " + name + ": volume name must be unique");
      return d;
    }
    std::string dir = volume_dir(name);
    bool fresh = ::access(dir.c_str(), F_OK) != 0;
    TRYV_CTX(make_dir(dir, 0755), "create " + name);
    if (auto r = make_dir(dir + "/_data", 0755); !r) {
      if (fresh) (void)snapshot::remove_tree(dir);
      return std::unexpected(std::move(r).error().wrap("create " + name));
    }
    // Go's time.Now().Format(time.RFC3339) in the local zone, as dockerd shows CreatedAt.
    int64_t now = go::UnixTime::now().sec;
    doc = json{{"CreatedAt", go::format_rfc3339(now, go::local_offset(now))},
               {"Driver", driver},
               {"Labels", json(labels)},
               {"Mountpoint", dir + "/_data"},
               {"Name", name},
               {"Options", json(opts)},
               {"Scope", "local"}};
    if (auto r = store_.insert({name, doc.dump()}); !r) {
      if (fresh) (void)snapshot::remove_tree(dir);
      return std::unexpected(std::move(r).error().wrap("create " + name));
    }
  }
  emit("create", name, {{"driver", driver}});
  return doc;
}

Result<json> VolumeService::inspect(const std::string& name) {
  std::lock_guard lk(mu_);
  return get_locked(name);
}

Result<json> VolumeService::list(const json& filters) {
  auto f = TRY(Filters::from_json(filters));
  TRYV(f.validate({"dangling", "name", "driver", "label"}));
  std::optional<bool> dangling;
  if (f.contains("dangling")) dangling = TRY(filter_bool(f, "dangling", false));
  std::vector<metadata::VolumeRow> rows;
  {
    std::lock_guard lk(mu_);
    rows = TRY(store_.list());
  }
  json out = json::array();
  for (const auto& row : rows) {
    auto doc = json::parse(row.doc, nullptr, false);
    if (!doc.is_object()) continue;
    if (!f.exact_match("driver", doc.value("Driver", ""))) continue;
    if (!f.match("name", row.name)) continue;
    if (!f.match_kv_list("label", string_map(doc.value("Labels", json())))) continue;
    if (dangling && users(row.name).empty() != *dangling) continue;
    out.push_back(std::move(doc));
  }
  return json{{"Volumes", std::move(out)}, {"Warnings", json::array()}};
}

Result<void> VolumeService::remove_locked(const std::string& name, const std::vector<std::string>& users) {
  TRY(get_locked(name));
  std::vector<std::string> refs = users;
  if (auto it = users_.find(name); it != users_.end())
    for (const auto& [cid, n] : it->second)
      if (std::find(refs.begin(), refs.end(), cid) == refs.end()) refs.push_back(cid);
  if (!refs.empty()) {
    std::string list;
    for (const auto& r : refs) list += (list.empty() ? "" : " ") + r;
    return fail(Errc::Conflict, "remove " + name + ": volume is in use - [" + list + "]");
  }
  if (mounted_.contains(name)) TRYV_CTX(unmount_locked(name), "remove " + name);
  // Out of the namespace first, then the record: a crash in between leaves a
  // record without a directory, which open() recreates empty.
  std::string dir = volume_dir(name);
  std::string trash = root_ + "/" + kTrashPrefix + random_hex(8);
  bool moved = ::rename(dir.c_str(), trash.c_str()) == 0;
  if (!moved && errno != ENOENT) return fail_errno("remove " + name + ": moving " + dir + " aside");
  if (auto r = store_.remove(name); !r) {
    if (moved) (void)::rename(trash.c_str(), dir.c_str());
    return std::unexpected(std::move(r).error().wrap("remove " + name));
  }
  users_.erase(name);
  if (moved)
    if (auto r = snapshot::remove_tree(trash); !r)
      log::warn("volumes: removing the data of {}: {} (removed at the next start)", name, r.error().str());
  return {};
}

Result<void> VolumeService::remove(const std::string& name, bool force) {
  auto refs = users(name);
  std::string driver;
  {
    std::lock_guard lk(mu_);
    auto doc = get_locked(name);
    if (!doc) {
      if (force && doc.error().code == Errc::NotFound) return {};
      return std::unexpected(doc.error());
    }
    driver = doc->value("Driver", kLocalDriver);
    TRYV(remove_locked(name, refs));
  }
  emit("destroy", name, {{"driver", driver}});
  return {};
}

Result<json> VolumeService::prune(const json& filters) {
  auto filter = TRY(PruneFilter::from(TRY(Filters::from_json(filters)), kVolumePruneKeys));
  bool all = true;  // API <= 1.41: every unused volume
  if (const auto& a = filter.filters().get("all"); filter.filters().contains("all")) {
    if (a.size() > 1) return fail(Errc::InvalidArgument, "invalid filter 'all': only one value is expected");
    if (!a.empty()) {
      const auto& v = a[0];
      if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True")
        all = true;
      else if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
        all = false;
      else
        return fail(Errc::InvalidArgument, "invalid filter 'all': strconv.ParseBool: parsing \"" + v +
                                               "\": invalid syntax");
    }
  }
  std::vector<metadata::VolumeRow> rows;
  {
    std::lock_guard lk(mu_);
    rows = TRY(store_.list());
  }
  json deleted = json::array();
  int64_t reclaimed = 0;
  for (const auto& row : rows) {
    auto doc = json::parse(row.doc, nullptr, false);
    if (!doc.is_object() || doc.value("Driver", "") != kLocalDriver) continue;
    if (!string_map(doc.value("Options", json())).empty()) continue;  // nothing to reclaim (dockerd too)
    auto labels = string_map(doc.value("Labels", json()));
    if (!all && !labels.contains(kAnonymousLabel)) continue;
    if (!filter.matches_labels(labels)) continue;
    auto refs = users(row.name);
    if (!refs.empty()) continue;
    auto size = tree_size(data_dir(row.name));
    std::lock_guard lk(mu_);
    if (auto r = remove_locked(row.name, refs); !r) {
      log::warn("volumes: prune: {}", r.error().str());
      continue;
    }
    deleted.push_back(row.name);
    if (size) reclaimed += *size;
  }
  for (const auto& name : deleted) emit("destroy", name, {{"driver", kLocalDriver}});
  emit("prune", "", {{"reclaimed", std::to_string(reclaimed)}});
  return json{{"VolumesDeleted", std::move(deleted)}, {"SpaceReclaimed", reclaimed}};
}

Result<void> VolumeService::mount_locked(const std::string& name, const json& doc) {
  auto opts = string_map(doc.value("Options", json()));
  std::string target = data_dir(name);
  std::string type = opts["type"], device = opts["device"], o = opts["o"];
  if (device.empty()) return fail(Errc::InvalidArgument, "missing device in volume options");
  auto mo = parse_mount_options(o);
  auto describe = [&] {
    return "error while mounting volume '" + target + "': failed to mount local volume: mount " + device + ":" +
           target + ", data: " + mo.data;
  };
  unsigned long flags = mo.flags & ~static_cast<unsigned long>(MS_REMOUNT);
  if (::mount(device.c_str(), target.c_str(), type.c_str(), flags, mo.data.empty() ? nullptr : mo.data.c_str()) != 0)
    return fail_errno(describe());
  // A bind mount ignores the other flags on the first call (mount(8) remounts too).
  constexpr unsigned long kBindKeep = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if ((flags & MS_BIND) && (flags & kBindKeep)) {
    if (::mount("", target.c_str(), nullptr, MS_REMOUNT | MS_BIND | (flags & kBindKeep), nullptr) != 0) {
      int err = errno;
      ::umount2(target.c_str(), MNT_DETACH);
      return fail_errno(describe() + " (remounting read-only/nosuid/nodev/noexec)", err);
    }
  }
  if (mo.propagation != 0 && ::mount("", target.c_str(), nullptr, mo.propagation, nullptr) != 0) {
    int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    return fail_errno(describe() + " (setting propagation)", err);
  }
  mounted_.insert(name);
  return {};
}

Result<void> VolumeService::unmount_locked(const std::string& name) {
  std::string target = data_dir(name);
  if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) {
    int err = errno;
    if (err == EINVAL && !is_mount_point(target)) {
      // Already gone (unmounted by someone else).
    } else if (err == EBUSY) {
      log::warn("volumes: {} is busy; detaching it lazily", target);
      if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
        return fail_errno("unmounting volume " + name + " at " + target);
    } else {
      return fail_errno("unmounting volume " + name + " at " + target, err);
    }
  }
  mounted_.erase(name);
  return {};
}

Result<std::string> VolumeService::mount(const std::string& name, const std::string& container_id) {
  std::lock_guard lk(mu_);
  auto doc = TRY(get_locked(name));
  if (needs_mount(string_map(doc.value("Options", json()))) && !mounted_.contains(name))
    TRYV(mount_locked(name, doc));
  users_[name][container_id]++;
  return data_dir(name);
}

void VolumeService::unmount(const std::string& name, const std::string& container_id) {
  std::lock_guard lk(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return;
  auto c = it->second.find(container_id);
  if (c == it->second.end()) return;
  if (--c->second > 0) return;
  it->second.erase(c);
  if (!it->second.empty()) return;
  users_.erase(it);
  if (!mounted_.contains(name)) return;
  if (auto r = unmount_locked(name); !r) log::warn("volumes: {}", r.error().str());
}

Result<json> VolumeService::df() {
  std::vector<metadata::VolumeRow> rows;
  {
    std::lock_guard lk(mu_);
    rows = TRY(store_.list());
  }
  json out = json::array();
  for (const auto& row : rows) {
    auto doc = json::parse(row.doc, nullptr, false);
    if (!doc.is_object() || doc.value("Driver", "") != kLocalDriver) continue;
    if (!string_map(doc.value("Options", json())).empty()) continue;
    InUse in_use;
    {
      std::lock_guard lk(mu_);
      in_use = in_use_;
    }
    int64_t refcount = in_use ? static_cast<int64_t>(in_use(row.name).size()) : 0;
    auto size = tree_size(data_dir(row.name));
    doc["UsageData"] = json{{"RefCount", refcount}, {"Size", size ? *size : int64_t(-1)}};
    out.push_back(std::move(doc));
  }
  return out;
}

}  // namespace berth::volume
