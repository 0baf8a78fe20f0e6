// Everything a container's process needs, computed by the runtime before
// clone3(): the child only walks these values and makes syscalls (no parsing,
// no allocation, no exceptions between clone and execve).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "runtime/linux/caps.h"
#include "runtime/linux/rlimits.h"
#include "runtime/linux/seccomp.h"

namespace berth::runtime {

struct ProcessPlan {
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;  // views of args/env, null-terminated (see seal())
  std::string path_env;           // PATH used to find args[0]
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool set_groups = true;  // false in a user namespace whose setgroups is denied
  std::optional<mode_t> umask;
  bool has_caps = false;
  CapSets caps;
  std::vector<ResolvedRlimit> rlimits;
  bool no_new_privs = false;
  SeccompProgram seccomp;
  std::optional<int> oom_score_adj;
  // In a user namespace the (non-dumpable) process cannot open its own
  // /proc/self/oom_score_adj, which stays the host root's: the runtime writes
  // /proc/PID/oom_score_adj for it before it goes on.
  std::optional<int> oom_score_adj_by_parent;
  std::optional<unsigned long> personality;
  std::optional<int> ioprio;  // ioprio_set value
  bool has_sched = false;     // process.scheduler, applied with sched_setattr
  struct SchedAttr {
    uint32_t size = 56, policy = 0;
    uint64_t flags = 0;
    int32_t nice = 0;
    uint32_t priority = 0;
    uint64_t runtime = 0, deadline = 0, period = 0;
    uint32_t util_min = 0, util_max = 0;
  } sched;
  bool terminal = false;
  unsigned short rows = 0, cols = 0;
  int console_fd = -1;  // connected console socket (receives the pty master)
  int preserve_fds = 0;

  // Builds argv/envp from args/env; call after the vectors stop changing.
  void seal();
};

struct MountStep {
  enum class Kind { Mount, Bind, Cgroup } kind = Kind::Mount;
  std::string source;       // host path for binds
  std::string destination;  // inside the rootfs, absolute
  std::string type;
  std::string data;
  unsigned long flags = 0;
  unsigned long propagation = 0;
  unsigned long long attr_set = 0, attr_clr = 0;
  bool source_is_dir = true;  // create a directory (or a file) as the mount point
  size_t index = 0;           // position in config.json mounts, for messages
};

struct DeviceNode {
  std::string path;  // absolute inside the container
  mode_t mode = 0;   // S_IFCHR/S_IFBLK/S_IFIFO | permissions
  dev_t dev = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct CgroupMountSource {
  std::string name;      // directory under /sys/fs/cgroup: "memory", "cpu,cpuacct", "unified"
  std::string host_dir;  // the container's cgroup directory on the host
};

struct RootfsPlan {
  std::string rootfs;                // absolute host path
  std::string rootfs_parent_mount;   // mount point holding the rootfs (made private for pivot_root)
  unsigned long root_propagation = 0;
  bool readonly = false;
  bool no_pivot = false;
  // No mount namespace in the config: the container shares the runtime's, so
  // / keeps its propagation, the root is entered with chroot (pivot_root would
  // move every process of the namespace), and the rootfs is bound onto itself
  // only when it must be a mount of its own (read-only, rootfsPropagation).
  bool shared_mount_ns = false;
  bool in_user_ns = false;
  bool setup_dev = true;             // /dev is ours: create device nodes and symlinks
  bool cgroup_ns = false;
  bool cgroup_v2 = false;
  std::vector<MountStep> mounts;
  std::vector<DeviceNode> devices;
  std::vector<CgroupMountSource> cgroup_sources;
  std::vector<std::string> masked_paths, readonly_paths;
  std::vector<std::pair<std::string, std::string>> sysctl;  // /proc/sys/... path, value
  std::string cwd;                   // created if missing
};

struct InitPlan {
  std::string id;
  unsigned long clone_flags = 0;                  // namespaces created at clone3
  std::vector<std::pair<int, UniqueFd>> joins;    // (CLONE_NEW* type, fd) joined by the child
  // Joined by the runtime's own thread around clone3 when the child makes a
  // new user namespace: from inside it the child could not join namespaces
  // its parent's user namespace owns (berthd's network sandbox under
  // userns-remap). The thread returns to its own right after the clone.
  std::vector<std::pair<int, UniqueFd>> parent_joins;
  bool new_user_ns = false;
  bool new_cgroup_ns = false;                     // unshared after cgroup placement
  std::vector<int> cgroup_task_fds;               // v1 `tasks` files the child writes "0" to
  bool has_hostname = false, has_domainname = false;
  std::string hostname, domainname;
  bool new_keyring = true;                        // own session keyring (--no-new-keyring: keep ours)
  bool wait_runtime_hooks = false;                // prestart/createRuntime
  bool wait_container_hooks = false;              // createContainer
  RootfsPlan rootfs;
  ProcessPlan process;
  int start_listen_fd = -1;                       // accept() on it means "start"
};

}  // namespace berth::runtime
