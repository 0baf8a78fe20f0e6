#include "idmap/idmapped_mount.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "base/file.h"

namespace berth::idmap {

Result<UniqueFd> make_userns(const Remap& remap) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return fail_errno("creating a pipe for the userns-remap namespace");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  // A fork-like clone: the child only blocks on the pipe and _exits, both
  // async-signal-safe, so this is fine in a threaded daemon.
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) return fail_errno("creating the userns-remap user namespace");
  if (pid == 0) {
    ::close(pipefd[1]);  // else our own copy keeps the pipe open and read never ends
    char c;
    while (::read(pipefd[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  auto reap = [&] {
    wr.reset();  // EOF: the child exits
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  };
  std::string proc = "/proc/" + std::to_string(pid);
  auto r = write_existing(proc + "/uid_map", Remap::map_text(remap.uids));
  if (r) r = write_existing(proc + "/gid_map", Remap::map_text(remap.gids));
  if (!r) {
    reap();
    return fail(r.error().code, "writing the userns-remap id maps: " + r.error().message, r.error().sys_errno);
  }
  int ns = ::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
  int err = errno;
  reap();
  if (ns < 0) return fail_errno("opening the userns-remap user namespace", err);
  return UniqueFd(ns);
}

Result<void> idmapped_bind(const std::string& source, const std::string& target, int userns_fd) {
  int tree = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (tree < 0) return fail_errno("cloning the mount of " + source);
  UniqueFd tree_fd(tree);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
    return fail_errno("idmapping the mount of " + source + (errno == EINVAL ? " (its filesystem cannot be idmapped)" : ""));
  if (::syscall(SYS_move_mount, tree, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return fail_errno("mounting the idmapped view of " + source + " on " + target);
  return {};
}

Result<void> with_fs_ids(uint32_t uid, uint32_t gid, const std::function<Result<void>()>& fn) {
  Result<void> result;
  std::thread worker([&] {
    // Per thread in Linux (glibc does not broadcast setfsuid). Changing the
    // fsuid from 0 drops the file capabilities from the effective set: they
    // are raised again from the permitted set.
    ::setfsgid(gid);
    ::setfsuid(uid);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &hdr, data) != 0) {
      result = fail_errno("reading the capabilities of a thread with the container's ids");
      return;
    }
    for (auto& d : data) d.effective = d.permitted;
    if (::syscall(SYS_capset, &hdr, data) != 0) {
      result = fail_errno("keeping the capabilities of a thread with the container's ids");
      return;
    }
    result = fn();
  });
  worker.join();
  return result;
}

}  // namespace berth::idmap
