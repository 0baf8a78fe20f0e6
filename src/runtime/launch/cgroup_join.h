// How a new process enters its container's cgroups without the kernel's
// global cgroup_threadgroup_rwsem (whose write side waits for an RCU grace
// period, ~5-15 ms here, on every `echo PID > cgroup.procs`):
//   - cgroup2 directories: clone3(CLONE_INTO_CGROUP) places the child at birth;
//   - v1 hierarchies: the child writes "0" (itself) to each `tasks` file, a
//     single-thread move that the kernel does without the global lock.
// Where clone3 answers ENOSYS (seccomp profiles such as Docker's, old kernels)
// the child is made with clone() and joins its cgroup2 directory by writing
// "0" to cgroup.procs itself, before it runs anything of the container.
#pragma once

#include <linux/sched.h>

#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime {

struct CgroupJoin {
  UniqueFd into;                // cgroup2 directory for CLONE_INTO_CGROUP, or invalid
  std::vector<UniqueFd> tasks;  // v1 `tasks` files, opened for writing
  std::vector<int> task_fds;    // their numbers, for the child
};

Result<CgroupJoin> prepare_cgroup_join(const cgroup::Manager& cg);

// For clone() without CLONE_INTO_CGROUP: adds the cgroup2 directory's
// cgroup.procs to the files the child writes itself into (no-op without one).
Result<void> join_cgroup2_by_procs(CgroupJoin& j);

// clone3(args), or clone() where clone3 is ENOSYS, after join_cgroup2_by_procs;
// then *task_fds (the child's copy of the list) is updated before the clone.
// Returns the pid (0 in the child) or -1 with errno; fails only in the parent.
Result<pid_t> clone_child(struct clone_args& args, CgroupJoin& join, std::vector<int>* task_fds);

// Child side, allocation-free: moves the calling (single-threaded) process.
// Returns 0, or -1 after reporting the failure on the sync socket.
int join_cgroups_self(const std::vector<int>& task_fds, int sync_fd);

}  // namespace berth::runtime
