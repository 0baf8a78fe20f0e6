#include "runtime/launch/child_init.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "runtime/launch/cgroup_join.h"
#include "runtime/launch/process_setup.h"
#include "runtime/launch/sync.h"
#include "runtime/linux/rootfs.h"

namespace berth::runtime {
namespace {

bool wait_for(int sync_fd, SyncType type) {
  SyncMsg msg;
  return sync_recv(sync_fd, &msg) == 0 && msg.type == type;
}

}  // namespace

void container_init(const InitPlan& plan, int sync_fd) {
  // Die with the runtime while it sets us up; cleared before we report Ready.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (join_cgroups_self(plan.cgroup_task_fds, sync_fd) != 0) _exit(1);
  // Keep only what we need: no state-dir or cgroup fds of the runtime.
  int keep[16];
  size_t n = 0;
  keep[n++] = sync_fd;
  keep[n++] = plan.start_listen_fd;
  keep[n++] = plan.process.console_fd;
  for (const auto& j : plan.joins)
    if (n < 16) keep[n++] = j.second.get();
  close_fds_except(keep, n, 3u + static_cast<unsigned>(plan.process.preserve_fds));
  if (!wait_for(sync_fd, SyncType::Go)) _exit(1);

  for (const auto& [type, fd] : plan.joins) {
    if (::setns(fd.get(), type) != 0) {
      sync_send_error(sync_fd, errno, "joining namespace (type %#x) given by path", type);
      _exit(1);
    }
  }
  if (plan.new_user_ns && (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)) {
    sync_send_error(sync_fd, errno, "becoming root in the new user namespace (are uid/gid 0 mapped?)");
    _exit(1);
  }
  // Now that we are in our cgroups, so that they are the namespace's root.
  if (plan.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0) {
    sync_send_error(sync_fd, errno, "creating the cgroup namespace");
    _exit(1);
  }
  if (plan.has_hostname && ::sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
    sync_send_error(sync_fd, errno, "setting hostname '%s'", plan.hostname.c_str());
    _exit(1);
  }
  if (plan.has_domainname && ::setdomainname(plan.domainname.data(), plan.domainname.size()) != 0) {
    sync_send_error(sync_fd, errno, "setting domainname '%s'", plan.domainname.c_str());
    _exit(1);
  }
  // A keyring of its own, so the container cannot see the host's keys.
  if (plan.new_keyring && ::syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, plan.id.c_str()) < 0 &&
      errno != ENOSYS) {
    sync_send_error(sync_fd, errno, "creating a session keyring");
    _exit(1);
  }
  if (plan.wait_runtime_hooks) {
    if (sync_send(sync_fd, SyncType::NsReady) != 0 || !wait_for(sync_fd, SyncType::NsReadyAck)) _exit(1);
  }
  if (prepare_rootfs(plan.rootfs, sync_fd) != 0) _exit(1);
  if (plan.wait_container_hooks) {
    if (sync_send(sync_fd, SyncType::PrePivot) != 0 || !wait_for(sync_fd, SyncType::PrePivotAck)) _exit(1);
  }
  if (enter_rootfs(plan.rootfs, sync_fd) != 0) _exit(1);
  if (finalize_rootfs(plan.rootfs, sync_fd) != 0) _exit(1);
  const ProcessPlan& p = plan.process;
  if (setup_terminal(p, sync_fd) != 0) _exit(1);
  if (close_inherited_fds(p, sync_fd) != 0) _exit(1);
  PendingSeccomp pending;
  if (apply_process_identity(p, sync_fd, &pending) != 0) _exit(1);
  char path[4096];
  if (find_executable(p, path, sizeof path, sync_fd) != 0) _exit(1);

  ::prctl(PR_SET_PDEATHSIG, 0);
  if (sync_send(sync_fd, SyncType::Ready) != 0) _exit(1);
  // `start` connects to this socket; the connection then carries an exec
  // error back, or closes on a successful execve (close-on-exec).
  int conn;
  do {
    conn = ::accept4(plan.start_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  } while (conn < 0 && errno == EINTR);
  if (conn < 0) _exit(1);
  ::close(plan.start_listen_fd);
  exec_process(p, path, pending, conn);
}

}  // namespace berth::runtime
