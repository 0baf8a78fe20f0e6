#include "runtime/launch/cgroup_join.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/launch/sync.h"
#include "sys/syscalls.h"

namespace berth::runtime {

Result<CgroupJoin> prepare_cgroup_join(const cgroup::Manager& cg) {
  CgroupJoin j;
  for (const auto& [mountpoint, dir] : cg.paths()) {
    struct statfs sf{};
    if (::statfs(dir.c_str(), &sf) != 0) return fail_errno("inspecting cgroup directory " + dir);
    if (sf.f_type == CGROUP2_SUPER_MAGIC) {
      j.into.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!j.into) return fail_errno("opening cgroup directory " + dir);
      continue;
    }
    std::string tasks = dir + "/tasks";
    UniqueFd fd(::open(tasks.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return fail_errno("opening " + tasks);
    j.task_fds.push_back(fd.get());
    j.tasks.push_back(std::move(fd));
  }
  return j;
}

Result<void> join_cgroup2_by_procs(CgroupJoin& j) {
  if (!j.into) return {};
  UniqueFd fd(::openat(j.into.get(), "cgroup.procs", O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening cgroup.procs of the container's cgroup2 directory");
  j.task_fds.push_back(fd.get());
  j.tasks.push_back(std::move(fd));
  return {};
}

Result<pid_t> clone_child(struct clone_args& args, CgroupJoin& join, std::vector<int>* task_fds) {
  if (join.into) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(join.into.get());
  }
  pid_t pid = sys::clone3(&args);
  if (pid >= 0 || errno != ENOSYS) return pid;
  TRYV(join_cgroup2_by_procs(join));
  *task_fds = join.task_fds;
  args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
  args.cgroup = 0;
  return sys::clone_legacy(&args);
}

int join_cgroups_self(const std::vector<int>& task_fds, int sync_fd) {
  for (size_t i = 0; i < task_fds.size(); ++i) {
    if (::write(task_fds[i], "0", 1) != 1) {
      sync_send_error(sync_fd, errno, "joining the container's cgroup (hierarchy %zu)", i);
      return -1;
    }
    ::close(task_fds[i]);
  }
  return 0;
}

}  // namespace berth::runtime
