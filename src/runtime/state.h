// A container's persisted state: <root>/<id>/state.json (written atomically),
// plus the files the later commands need (config.json copy, compiled seccomp,
// the start socket while the container is "created").
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"  // rfc3339_now for created timestamps
#include "base/error.h"
#include "spec/runtime_spec.h"

namespace berth::runtime {

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* status_name(Status s);

struct ContainerState {
  std::string id;
  std::string bundle;
  std::string rootfs;          // absolute host path of the rootfs
  pid_t pid = 0;               // init, in the runtime's pid namespace
  uint64_t pid_start_time = 0; // guards against pid reuse
  std::string created;         // RFC 3339
  std::string oci_version;
  std::map<std::string, std::string> annotations;
  nlohmann::json cgroup;       // cgroup::Manager::to_json()
  spec::Hooks hooks;           // poststart/poststop are run by later commands
  bool has_user_ns = false;
  bool own_pid_ns = true;      // false when the pid namespace is shared: kill all on delete
  bool own_mount_ns = true;    // false: the container shares the runtime's mount namespace (chroot)
  std::vector<std::string> host_mounts;  // what such a container mounted under its rootfs, in order
  std::string owner = "root";
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }

  // Validates the id (no '/', not "." or "..", printable) for use as a path.
  static Result<void> check_id(const std::string& id);
  // mkdir <root>/<id>: AlreadyExists when another container has that id.
  Result<void> reserve(const std::string& id);
  Result<void> save(const ContainerState& state);
  Result<ContainerState> load(const std::string& id) const;
  Result<void> remove(const std::string& id);
  Result<std::vector<std::string>> list() const;

 private:
  std::string root_;
};

nlohmann::json state_to_json(const ContainerState& s);
Result<ContainerState> state_from_json(const nlohmann::json& j);

}  // namespace berth::runtime
