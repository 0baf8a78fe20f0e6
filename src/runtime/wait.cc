#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "runtime/runtime_internal.h"
#include "sys/proc.h"
#include "sys/syscalls.h"

namespace berth::runtime {

Result<int> wait_forwarding_signals(pid_t pid, int pidfd, const sigset_t& forward) {
  UniqueFd sfd(::signalfd(-1, &forward, SFD_CLOEXEC));
  if (!sfd) return fail_errno("signalfd");
  struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
  while (true) {
    int r = ::poll(fds, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_errno("waiting for the container");
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sfd.get(), &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
        sys::pidfd_send_signal(pidfd, static_cast<int>(si.ssi_signo));
    }
    if (fds[0].revents & POLLIN) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return fail_errno("waitpid");
      }
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return 255;
    }
  }
}

Result<void> wait_for_exit(pid_t pid, uint64_t start_time) {
  UniqueFd pidfd(sys::pidfd_open(pid));
  if (!pidfd) return {};  // already gone
  // The pid may have been reused after the pidfd was taken: check identity.
  if (!sys::process_alive(pid, start_time)) return {};
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  while (::poll(&p, 1, -1) < 0) {
    if (errno != EINTR) return fail_errno("waiting for pid " + std::to_string(pid));
  }
  return {};
}

Result<std::unique_ptr<cgroup::Manager>> load_cgroup(const ContainerState& st) {
  return cgroup::manager_from_json(st.cgroup);
}

}  // namespace berth::runtime
