#include "runtime/launch/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <utility>

#include "runtime/launch/sync.h"
#include "sys/fdpass.h"
#include "sys/syscalls.h"

namespace berth::runtime {

int setup_terminal(const ProcessPlan& p, int sync_fd) {
  if (!p.terminal) return 0;
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) {
    sync_send_error(sync_fd, errno, "opening /dev/ptmx in the container for the terminal");
    return -1;
  }
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0) {
    sync_send_error(sync_fd, errno, "unlocking the pty");
    return -1;
  }
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    sync_send_error(sync_fd, errno, "opening the pty slave");
    return -1;
  }
  if (::fchown(slave, p.uid, static_cast<gid_t>(-1)) != 0) {
    sync_send_error(sync_fd, errno, "giving the pty to uid %u", p.uid);
    return -1;
  }
  if (p.rows || p.cols) {
    struct winsize ws{};
    ws.ws_row = p.rows;
    ws.ws_col = p.cols;
    ::ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (p.console_fd >= 0) {
    static const char kName[] = "/dev/ptmx";
    if (sys::send_fd_raw(p.console_fd, master, kName, sizeof kName - 1) != 0) {
      sync_send_error(sync_fd, errno, "sending the pty master to the console socket");
      return -1;
    }
    ::close(p.console_fd);
  }
  ::close(master);
  if (::setsid() < 0 && errno != EPERM) {
    sync_send_error(sync_fd, errno, "setsid");
    return -1;
  }
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) {
    sync_send_error(sync_fd, errno, "making the pty the controlling terminal");
    return -1;
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup2(slave, fd) < 0) {
      sync_send_error(sync_fd, errno, "dup2 of the pty onto fd %d", fd);
      return -1;
    }
  }
  if (slave > 2) ::close(slave);
  return 0;
}

void close_fds_except(int* keep, size_t n, unsigned first) {
  // Insertion sort: n is tiny and this runs in the cloned child.
  for (size_t i = 1; i < n; ++i)
    for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  unsigned from = first;
  for (size_t i = 0; i < n; ++i) {
    if (keep[i] < 0 || static_cast<unsigned>(keep[i]) < from) continue;
    if (static_cast<unsigned>(keep[i]) > from) sys::close_range(from, static_cast<unsigned>(keep[i]) - 1, 0);
    from = static_cast<unsigned>(keep[i]) + 1;
  }
  sys::close_range(from, ~0u, 0);
}

int close_inherited_fds(const ProcessPlan& p, int sync_fd) {
  unsigned first = 3u + static_cast<unsigned>(p.preserve_fds);
  if (sys::close_range(first, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
    sync_send_error(sync_fd, errno, "marking inherited file descriptors close-on-exec");
    return -1;
  }
  return 0;
}

namespace {

// Non-root users get their stdio (pipes from the caller) so that they can
// reopen /proc/self/fd/N, as runc does; /dev/null and ttys are left alone.
void give_stdio_to_user(const ProcessPlan& p) {
  if (p.uid == 0) return;
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st{};
    if (::fstat(fd, &st) != 0 || S_ISCHR(st.st_mode)) continue;
    ::fchown(fd, p.uid, p.gid);
  }
}

int set_user(const ProcessPlan& p, int sync_fd) {
  if (p.set_groups && ::setgroups(p.groups.size(), p.groups.data()) != 0) {
    sync_send_error(sync_fd, errno, "setgroups to %zu additional groups", p.groups.size());
    return -1;
  }
  if (::setresgid(p.gid, p.gid, p.gid) != 0) {
    sync_send_error(sync_fd, errno, "setting gid %u", p.gid);
    return -1;
  }
  if (::setresuid(p.uid, p.uid, p.uid) != 0) {
    sync_send_error(sync_fd, errno, "setting uid %u", p.uid);
    return -1;
  }
  return 0;
}

// A cwd reached through a leaked fd lies outside the root: getcwd then fails
// or says "(unreachable)". Refuse it (CVE-2024-21626).
int verify_cwd(const ProcessPlan& p, int sync_fd) {
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr || buf[0] != '/') {
    sync_send_error(sync_fd, EPERM, "working directory %s is outside the container's root", p.cwd.c_str());
    return -1;
  }
  return 0;
}

// First try, still as root (as runc does): 1 = entered and verified, 0 = root
// may not enter it (retried as the user), -1 = reported failure.
int enter_cwd_as_root(const ProcessPlan& p, int sync_fd) {
  if (::chdir(p.cwd.c_str()) != 0) {
    if (errno == EACCES || errno == EPERM) return 0;
    sync_send_error(sync_fd, errno, "changing to working directory %s", p.cwd.c_str());
    return -1;
  }
  return verify_cwd(p, sync_fd) == 0 ? 1 : -1;
}

int enter_cwd_as_user(const ProcessPlan& p, int sync_fd) {
  if (::chdir(p.cwd.c_str()) != 0) {
    sync_send_error(sync_fd, errno, "changing to working directory %s", p.cwd.c_str());
    return -1;
  }
  return verify_cwd(p, sync_fd);
}

// The final capabilities; when a filter is still to be loaded without
// no_new_privs, with CAP_SYS_ADMIN held in effective and permitted until then.
int set_capabilities(const ProcessPlan& p, PendingSeccomp* pending, int sync_fd) {
  bool hold_admin = pending->load && !p.no_new_privs;
  CapSets final_caps;
  if (p.has_caps) {
    final_caps = p.caps;
  } else if (hold_admin) {
    if (get_caps(&final_caps) != 0) {
      sync_send_error(sync_fd, errno, "reading the process capabilities");
      return -1;
    }
  } else {
    return 0;  // no process.capabilities: what the user change left
  }
  CapSets now = final_caps;
  if (hold_admin) {
    now.effective |= kCapSysAdmin;
    now.permitted |= kCapSysAdmin;
  }
  int rc = p.has_caps ? apply_caps(now) : set_caps(now);
  if (rc != 0) {
    sync_send_error(sync_fd, errno, "setting the process capabilities");
    return -1;
  }
  pending->final_caps = final_caps;
  pending->restore_caps = now.effective != final_caps.effective || now.permitted != final_caps.permitted;
  return 0;
}

}  // namespace

int apply_process_identity(const ProcessPlan& p, int sync_fd, PendingSeccomp* pending) {
  *pending = PendingSeccomp{};
  size_t failed = 0;
  if (apply_rlimits(p.rlimits, &failed) != 0) {
    sync_send_error(sync_fd, errno, "setting %s to %llu/%llu", rlimit_cname(p.rlimits[failed].resource),
                    static_cast<unsigned long long>(p.rlimits[failed].limit.rlim_cur),
                    static_cast<unsigned long long>(p.rlimits[failed].limit.rlim_max));
    return -1;
  }
  if (p.oom_score_adj) {
    int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", *p.oom_score_adj);
    if (fd < 0 || ::write(fd, buf, static_cast<size_t>(n)) != n) {
      sync_send_error(sync_fd, errno, "setting oomScoreAdj to %d", *p.oom_score_adj);
      return -1;
    }
    ::close(fd);
  }
  if (p.personality && ::personality(*p.personality) < 0) {
    sync_send_error(sync_fd, errno, "setting personality %#lx", *p.personality);
    return -1;
  }
  if (p.ioprio && ::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, *p.ioprio) != 0) {
    sync_send_error(sync_fd, errno, "setting the I/O priority");
    return -1;
  }
  if (p.has_sched && ::syscall(SYS_sched_setattr, 0, &p.sched, 0) != 0) {
    sync_send_error(sync_fd, errno, "setting process.scheduler (policy %u)", p.sched.policy);
    return -1;
  }
  if (p.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    sync_send_error(sync_fd, errno, "setting no_new_privs");
    return -1;
  }
  int in_cwd = enter_cwd_as_root(p, sync_fd);
  if (in_cwd < 0) return -1;
  if (p.seccomp.wants_listener) {
    // The runtime passes the listener to the agent before Ready: load it now.
    int r = load_seccomp(p.seccomp);
    if (r < 0) {
      sync_send_error(sync_fd, errno, "loading the seccomp filter");
      return -1;
    }
    if (r > 0) {
      if (sync_send_fd(sync_fd, SyncType::SeccompListener, r) != 0) {
        sync_send_error(sync_fd, errno, "sending the seccomp listener to the runtime");
        return -1;
      }
      ::close(r);
    }
  } else {
    pending->load = !p.seccomp.empty();
  }
  give_stdio_to_user(p);
  if (p.has_caps && drop_bounding(p.caps) != 0) {
    sync_send_error(sync_fd, errno, "dropping capabilities from the bounding set");
    return -1;
  }
  if (set_keep_caps(true) != 0) {
    sync_send_error(sync_fd, errno, "prctl(PR_SET_KEEPCAPS)");
    return -1;
  }
  if (set_user(p, sync_fd) != 0) return -1;
  set_keep_caps(false);
  if (in_cwd == 0 && enter_cwd_as_user(p, sync_fd) != 0) return -1;
  if (set_capabilities(p, pending, sync_fd) != 0) return -1;
  if (p.umask) ::umask(*p.umask);
  return 0;
}

int find_executable(const ProcessPlan& p, char* out, size_t out_len, int sync_fd) {
  const char* name = p.args.empty() ? "" : p.args[0].c_str();
  if (name[0] == 0) {
    sync_send_error(sync_fd, EINVAL, "process.args is empty: nothing to execute");
    return -1;
  }
  if (std::strchr(name, '/')) {
    if (::access(name, X_OK) != 0) {
      int err = errno;
      sync_send_error(sync_fd, err, "exec: \"%s\": %s", name,
                      err == ENOENT ? "stat: no such file or directory" : std::strerror(err));
      return -1;
    }
    snprintf(out, out_len, "%s", name);
    return 0;
  }
  const char* path = p.path_env.c_str();
  int last_err = ENOENT;
  while (true) {
    const char* end = std::strchr(path, ':');
    size_t len = end ? static_cast<size_t>(end - path) : std::strlen(path);
    int n = len ? snprintf(out, out_len, "%.*s/%s", static_cast<int>(len), path, name)
                : snprintf(out, out_len, "./%s", name);
    struct stat st{};
    if (n > 0 && static_cast<size_t>(n) < out_len && ::stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(out, X_OK) == 0) return 0;
      last_err = errno;
    }
    if (!end) break;
    path = end + 1;
  }
  if (last_err == EACCES)
    sync_send_error(sync_fd, EACCES, "exec: \"%s\": permission denied", name);
  else
    sync_send_error(sync_fd, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
  return -1;
}

void exec_process(const ProcessPlan& p, const char* path, const PendingSeccomp& pending, int report_fd) {
  // Ignored signals stay ignored across execve: whatever the caller ignored
  // (SIGPIPE in a daemon, the signals glibc's posix_spawn ignores in its
  // child) must not leak into the container. Raw rt_sigaction reaches the
  // signals glibc reserves (32, 33) too.
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } dfl{SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig < 65; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(uint64_t));
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  // The filter goes in last: from here on only capset and execve are ours.
  if (pending.load && load_seccomp(p.seccomp) < 0) {
    sync_send_error(report_fd, errno, "loading the seccomp filter");
    _exit(127);
  }
  if (pending.restore_caps && set_caps(pending.final_caps) != 0) {
    sync_send_error(report_fd, errno, "dropping CAP_SYS_ADMIN after loading the seccomp filter");
    _exit(127);
  }
  ::execve(path, p.argv.data(), p.envp.data());
  int err = errno;
  sync_send_error(report_fd, err, "exec: \"%s\": %s", path,
                  err == ENOENT ? "no such file or directory" : err == EACCES ? "permission denied" : std::strerror(err));
  _exit(127);
}

void ProcessPlan::seal() {
  argv.clear();
  envp.clear();
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
}

}  // namespace berth::runtime
