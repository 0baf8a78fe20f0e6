#include "runtime/launch/cgroup_join.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/launch/sync.h"

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

int join_cgroups_self(const std::vector<int>& task_fds, int sync_fd) {
  for (size_t i = 0; i < task_fds.size(); ++i) {
    if (::write(task_fds[i], "0", 1) != 1) {
      sync_send_error(sync_fd, errno, "joining the container's cgroup (v1 hierarchy %zu)", i);
      return -1;
    }
    ::close(task_fds[i]);
  }
  return 0;
}

}  // namespace berth::runtime
