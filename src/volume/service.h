// Named volumes with Docker's local driver. A volume is a directory
// <data-root>/volumes/<name>/_data and a record (its Docker JSON document) in
// the `volumes` table of the metadata database. A volume created with
// `--opt type=... --opt device=... [--opt o=...]` is mounted with mount(2)
// at _data when its first user mounts it and unmounted when the last one
// goes (reference counts are kept in memory per container id).
//
// Thread-safe: one lock guards the database connection and the counts. The
// in-use callback and the event sink are called WITHOUT that lock held, on
// the calling thread: the callback must not call back into the service, and
// a caller must not hold a lock the callback takes while it calls remove(),
// prune(), list() or df().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "metadata/volume_store.h"
#include "volume/rules.h"

namespace berth::volume {

class VolumeService {
 public:
  using Labels = std::map<std::string, std::string>;
  using Options = std::map<std::string, std::string>;
  // Container ids that reference a volume (created, running or stopped).
  using InUse = std::function<std::vector<std::string>(const std::string& volume)>;
  // Docker's volume events: action "create" / "destroy" (attrs: driver) and
  // "prune" (name "", attrs: reclaimed). mount/unmount events are the
  // engine's (it knows the destination).
  using EventSink =
      std::function<void(const std::string& action, const std::string& name, const std::map<std::string, std::string>& attrs)>;

  // Creates <data_root>/volumes (0701) and opens the database at db_path.
  // Removals interrupted by a crash are finished; a record whose directory is
  // gone gets an empty one; _data of a mount-option volume that is still a
  // mount point (live restore) counts as mounted, with no users until the
  // engine mount()s it again for each running container.
  static Result<std::unique_ptr<VolumeService>> open(const std::string& data_root, const std::string& db_path);

  // POST /volumes/create. Empty name: an anonymous volume (64 hex, labelled
  // com.docker.volume.anonymous). An existing name is returned as it is
  // (Docker). driver "" or "local", else NotFound as dockerd's plugin lookup.
  Result<nlohmann::json> create(const std::string& name, const std::string& driver, const Options& opts,
                                const Labels& labels);
  // NotFound "get NAME: no such volume".
  Result<nlohmann::json> inspect(const std::string& name);
  // {"Volumes":[...],"Warnings":[]}; filters: name (regexp), driver, label, dangling.
  Result<nlohmann::json> list(const nlohmann::json& filters);
  // Conflict "remove NAME: volume is in use - [ID ...]" when referenced or
  // mounted; NotFound, unless force (then a missing volume is not an error).
  Result<void> remove(const std::string& name, bool force);
  // {"VolumesDeleted":[...],"SpaceReclaimed":N}. Local volumes without
  // options that nothing references; filters label, label!, all (API 1.41
  // semantics: all defaults to true; all=false prunes only anonymous ones).
  Result<nlohmann::json> prune(const nlohmann::json& filters);

  // The host path to bind into container_id; mounts a mount-option volume at
  // its first user. Counted per call: every mount() needs one unmount().
  Result<std::string> mount(const std::string& name, const std::string& container_id);
  // Drops one use; the last user's unmount unmounts _data (lazily when busy).
  void unmount(const std::string& name, const std::string& container_id);
  // Docker's copy-up: fills the volume from <rootfs>/<path_in_rootfs> when
  // the volume is empty (owners, modes, times, xattrs, symlinks kept), then
  // gives _data the owner and mode of the source directory. path_in_rootfs
  // is resolved inside rootfs as a chroot would (absolute symlinks restart
  // at rootfs); a ".." climbing out of it is refused (InvalidArgument). A
  // missing source or one that is not a directory copies nothing. Call it
  // after mount() for a mount-option volume.
  Result<void> copy_up(const std::string& name, const std::string& rootfs, const std::string& path_in_rootfs);

  void set_in_use(InUse in_use);
  void set_events(EventSink sink);
  // GET /system/df "Volumes": local volumes without options, each with
  // UsageData {Size (bytes, apparent, -1 when unknown), RefCount}.
  Result<nlohmann::json> df();

  // Test and engine helpers.
  std::string data_dir(const std::string& name) const;  // <root>/volumes/<name>/_data
  bool is_mounted(const std::string& name) const;       // mount-option volume currently mounted by us

 private:
  VolumeService(std::string root, metadata::VolumeStore store) : root_(std::move(root)), store_(std::move(store)) {}
  Result<nlohmann::json> get_locked(const std::string& name);
  Result<void> mount_locked(const std::string& name, const nlohmann::json& doc);
  Result<void> unmount_locked(const std::string& name);
  Result<void> remove_locked(const std::string& name, const std::vector<std::string>& users);
  std::vector<std::string> users(const std::string& name);  // in_use() + mount users, no lock held
  void emit(const std::string& action, const std::string& name, const std::map<std::string, std::string>& attrs);
  std::string volume_dir(const std::string& name) const { return root_ + "/" + name; }

  std::string root_;  // <data-root>/volumes
  mutable std::mutex mu_;
  metadata::VolumeStore store_;
  std::map<std::string, std::map<std::string, int>> users_;  // volume -> container -> mount count
  std::set<std::string> mounted_;
  InUse in_use_;
  EventSink events_;
};

// Apparent size of a tree (sum of st_size, hard links counted once; mount
// points below are not crossed), as Docker's directory.Size.
Result<int64_t> tree_size(const std::string& path);

}  // namespace berth::volume
