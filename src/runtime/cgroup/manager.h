// Cgroup management behind one interface, with v1, v2 and hybrid hierarchies
// detected at run time from /proc/self/mountinfo (never assumed).
//
// Layout on this kind of host ("hybrid"): v1 controllers mounted under
// /sys/fs/cgroup/<name>, plus a cgroup2 at /sys/fs/cgroup/unified that may hold
// a controller (hugetlb) or none. A controller that lives only in the cgroup2
// is driven with v2 semantics there; every other one through its v1 hierarchy.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime::cgroup {

enum class Mode { V1, Hybrid, V2 };
const char* mode_name(Mode mode);

struct Hierarchy {
  std::string mountpoint;                // /sys/fs/cgroup/cpu
  std::vector<std::string> controllers;  // {"cpu"} or {"cpu","cpuacct"}; "name=systemd" for named
  std::string root;                      // the mount's root inside the hierarchy (mountinfo field 4)
  std::string self_path;                 // this process's cgroup in it (from /proc/self/cgroup)
};

struct Layout {
  Mode mode = Mode::V1;
  std::vector<Hierarchy> v1;              // mounted v1 hierarchies
  std::optional<Hierarchy> unified;      // the cgroup2 mount, if any
  std::vector<std::string> v2_controllers;  // controllers available in the cgroup2 root
};

// Reads the layout. Paths are parameters so unit tests can point at a fake cgroupfs.
Result<Layout> detect_layout(const std::string& mountinfo_path = "/proc/self/mountinfo",
                             const std::string& self_cgroup_path = "/proc/self/cgroup");

class Manager {
 public:
  virtual ~Manager() = default;

  // Creates the container's cgroup(s) and applies the resources. Fails with a
  // message naming the file and value when the kernel refuses a limit, and then
  // leaves no directory behind.
  virtual Result<void> create(const spec::Resources* resources) = 0;
  // On v2: an fd of the leaf directory for clone3(CLONE_INTO_CGROUP); -1 otherwise.
  virtual int clone_into_fd() const = 0;
  // Moves pid into every hierarchy (v1; and the cgroup2 in hybrid mode).
  virtual Result<void> add_process(pid_t pid) = 0;
  virtual Result<void> update(const spec::Resources& resources) = 0;
  virtual Result<void> freeze() = 0;  // returns once frozen
  virtual Result<void> thaw() = 0;
  virtual Result<bool> is_frozen() = 0;
  // Pids of all processes in the container's cgroup (recursively).
  virtual Result<std::vector<pid_t>> pids() = 0;
  // runc's `events --stats` "data" object: cpu, memory, pids, blkio, hugetlb.
  virtual Result<nlohmann::json> stats() = 0;
  // True once the kernel's OOM killer has acted in the container's memory cgroup.
  virtual Result<bool> oom_killed() = 0;
  // Removes every directory created; missing ones are fine. Processes must be gone.
  virtual Result<void> destroy() = 0;
  // Host directories of the container's cgroup: mountpoint -> directory
  // (used to mount the container's own cgroups at /sys/fs/cgroup inside it).
  virtual std::map<std::string, std::string> paths() const = 0;
  virtual Mode mode() const = 0;
  // Persisted in the container state so later commands find the same cgroups.
  virtual nlohmann::json to_json() const = 0;
};

// cgroups_path as in config.json (linux.cgroupsPath), as runc's cgroupfs driver
// reads it: absolute paths are taken from each hierarchy's mount root, relative
// ones from the runtime's own cgroup in that hierarchy (/proc/self/cgroup); empty
// means "/berth/<container_id>". systemd-style "slice:prefix:name" paths are
// refused with Errc::Unsupported (there is no systemd driver).
// Returns the normalized path: "/a/b" (absolute) or "a/b" (relative).
Result<std::string> cgroup_path_for(const std::string& cgroups_path, const std::string& container_id);

// make_manager() computes the directories; create() makes them. On Hybrid the
// container also gets a directory at the same path in the cgroup2 (as runc does,
// for systemd's tracking), which drives the controllers that exist only there.
Result<std::unique_ptr<Manager>> make_manager(const Layout& layout, const std::string& cgroups_path,
                                              const std::string& container_id);
Result<std::unique_ptr<Manager>> manager_from_json(const nlohmann::json& state);

}  // namespace berth::runtime::cgroup
