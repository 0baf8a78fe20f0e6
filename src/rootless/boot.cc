#include "rootless/boot.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/log.h"
#include "rootless/port_driver.h"
#include "idmap/subid.h"

extern char** environ;

namespace berth::rootless {

namespace {

// Spawns argv (PATH lookup) with stdin on /dev/null and our stdout/stderr.
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<int>& keep_fds = {}) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  for (int fd : keep_fds) posix_spawn_file_actions_adddup2(&fa, fd, fd);  // clears close-on-exec
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return fail_errno("starting " + argv[0], rc);
  return pid;
}

Result<int> wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fail_errno("waiting for process " + std::to_string(pid));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A user's subordinate ids in /etc/subuid or /etc/subgid (a missing file
// grants none), read as newuidmap reads them.
Result<std::vector<idmap::IdRange>> subid_ranges(const std::string& path, std::string_view name, uint32_t id) {
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == Errc::NotFound) return std::vector<idmap::IdRange>{};
    return std::unexpected(text.error());
  }
  return idmap::ranges_for(idmap::parse_subids(*text), name, id);
}

// newuidmap PID 0 ID 1  1 START COUNT ...: our id is root inside, the
// subordinate ranges follow it.
Result<void> map_ids(const char* tool, pid_t child, uint32_t id, const std::vector<idmap::IdRange>& ranges) {
  std::vector<std::string> argv = {tool, std::to_string(child), "0", std::to_string(id), "1"};
  uint64_t inside = 1;
  for (const auto& r : ranges) {
    argv.push_back(std::to_string(inside));
    argv.push_back(std::to_string(r.start));
    argv.push_back(std::to_string(r.count));
    inside += r.count;
  }
  pid_t pid = TRY(spawn(argv));
  int rc = TRY(wait_exit(pid));
  if (rc != 0)
    return fail(Errc::PermissionDenied, std::string(tool) + " refused to map the ids (exit status " + std::to_string(rc) +
                                            "; its message is above): is it installed setuid (Debian package uidmap)?");
  return {};
}

Result<void> loopback_up() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("socket");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return fail_errno("reading lo's flags");
  ifr.ifr_flags |= IFF_UP;
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return fail_errno("bringing lo up");
  return {};
}

// Our own /sys (so /sys/class/net shows this network namespace's links),
// keeping the cgroup mounts under it.
Result<void> remount_sys() {
  int tree = ::open_tree(AT_FDCWD, "/sys/fs/cgroup", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (::mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, nullptr) != 0) {
    int err = errno;
    if (tree >= 0) ::close(tree);
    return fail_errno("mounting sysfs for berthd's network namespace", err);
  }
  if (tree >= 0) {
    if (::move_mount(tree, "", AT_FDCWD, "/sys/fs/cgroup", MOVE_MOUNT_F_EMPTY_PATH) != 0)
      log::warn("keeping /sys/fs/cgroup in berthd's namespace: {}", std::strerror(errno));
    ::close(tree);
  }
  return {};
}

// The child's part once mapped: root inside, mounts private, lo up.
Result<void> become_root() {
  if (::setresgid(0, 0, 0) != 0) return fail_errno("setresgid(0) in berthd's user namespace");
  if (::setgroups(0, nullptr) != 0) return fail_errno("setgroups in berthd's user namespace");
  if (::setresuid(0, 0, 0) != 0) return fail_errno("setresuid(0) in berthd's user namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail_errno("making berthd's mounts private");
  TRYV(remount_sys());
  TRYV(loopback_up());
  return {};
}

void write_all(int fd, const void* p, size_t n) { (void)!::write(fd, p, n); }

struct NetProcess {
  NetStack kind = NetStack::Pasta;
  pid_t pid = 0;        // slirp4netns (our child) or pasta's background process
  UniqueFd exit_write;  // slirp4netns exits when this closes
  std::string pid_file;  // pasta's
};

Result<NetProcess> start_netstack(const BootOptions& o, pid_t child) {
  NetProcess np;
  np.kind = o.net;
  NetStackOptions no;
  no.target = child;
  no.mtu = o.mtu;
  no.host_loopback = o.host_loopback;
  if (o.net == NetStack::Pasta) {
    no.pid_file = o.runtime_dir + "/pasta.pid";
    ::unlink(no.pid_file.c_str());
    // pasta goes to the background once the namespace's interface is set up.
    pid_t pid = TRY(spawn(netstack_argv(o.net, no)));
    int rc = TRY(wait_exit(pid));
    if (rc != 0) return fail(Errc::Unavailable, "pasta failed to set up berthd's network (exit status " + std::to_string(rc) + ")");
    auto text = TRY(read_file(no.pid_file));
    np.pid = static_cast<pid_t>(std::atol(text.c_str()));
    np.pid_file = no.pid_file;
    return np;
  }
  int ready[2], ex[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(ex, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]), exit_r(ex[0]);
  np.exit_write.reset(ex[1]);
  no.ready_fd = ready_w.get();
  no.exit_fd = exit_r.get();
  np.pid = TRY(spawn(netstack_argv(o.net, no), {ready_w.get(), exit_r.get()}));
  ready_w.reset();
  exit_r.reset();
  char c = 0;
  ssize_t n;
  while ((n = ::read(ready_r.get(), &c, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) {
    (void)wait_exit(np.pid);
    return fail(Errc::Unavailable, "slirp4netns failed to set up berthd's network (its message is above)");
  }
  return np;
}

void stop_netstack(NetProcess& np) {
  if (np.pid <= 0) return;
  if (np.kind == NetStack::Slirp4netns) {
    np.exit_write.reset();
    (void)wait_exit(np.pid);
  } else {
    ::kill(np.pid, SIGTERM);  // re-parented to us (subreaper): reaped below
    (void)wait_exit(np.pid);
    if (!np.pid_file.empty()) ::unlink(np.pid_file.c_str());
  }
}

[[noreturn]] void supervise(pid_t child, UniqueFd port_sock, NetProcess np) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&set, s);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  int status = 1;
  bool port_open = true;
  for (;;) {
    pollfd fds[2] = {{sfd.get(), POLLIN, 0}, {port_open ? port_sock.get() : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) port_open = serve_port_request(port_sock.get());
    if (!(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo si;
    if (::read(sfd.get(), &si, sizeof si) != sizeof si) continue;
    if (si.ssi_signo != SIGCHLD) {
      ::kill(child, static_cast<int>(si.ssi_signo));
      continue;
    }
    bool child_done = false;
    for (;;) {
      int st = 0;
      pid_t p = ::waitpid(-1, &st, WNOHANG);
      if (p <= 0) break;
      if (p == child) {
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        child_done = true;
      } else if (p == np.pid) {
        std::fprintf(stderr, "berthd: %s exited: containers have lost their outbound network\n", netstack_name(np.kind));
        np.pid = 0;
      }
    }
    if (child_done) break;
  }
  stop_netstack(np);
  std::_Exit(status);
}

}  // namespace

Result<Booted> enter_namespaces(const BootOptions& o) {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  std::string name = std::to_string(uid);
  if (passwd* pw = ::getpwuid(uid)) name = pw->pw_name;
  auto uids = TRY(subid_ranges("/etc/subuid", name, uid));
  auto gids = TRY(subid_ranges("/etc/subgid", name, gid));
  if (uids.empty() || gids.empty())
    return fail(Errc::InvalidArgument,
                "rootless berthd needs subordinate ids for " + name + " in /etc/subuid and /etc/subgid (none found in " +
                    (uids.empty() ? "/etc/subuid" : "/etc/subgid") + "): as root, run `usermod --add-subuids " +
                    "100000-165535 --add-subgids 100000-165535 " + name + "` (a range of 65536 of its own)");
  if (::mkdir(o.runtime_dir.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + o.runtime_dir);

  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) return fail_errno("socketpair");
  UniqueFd port_parent(sp[0]), port_child(sp[1]);
  int up[2], down[2];
  if (::pipe2(up, O_CLOEXEC) != 0 || ::pipe2(down, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd up_r(up[0]), up_w(up[1]), down_r(down[0]), down_w(down[1]);

  pid_t parent_pid = ::getpid();
  pid_t child = ::fork();
  if (child < 0) return fail_errno("fork");
  if (child == 0) {
    port_parent.reset();
    up_r.reset();
    down_w.reset();
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent_pid) std::_Exit(1);
    int err = ::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) == 0 ? 0 : errno;
    write_all(up_w.get(), &err, sizeof err);
    if (err) std::_Exit(1);
    up_w.reset();
    char go = 0;
    ssize_t n;
    while ((n = ::read(down_r.get(), &go, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1 || go != 'g') std::_Exit(1);  // the outer process failed and said why
    TRYV(become_root());
    Booted b;
    b.port_sock = std::move(port_child);
    b.net = o.net;
    return b;
  }
  port_child.reset();
  up_w.reset();
  down_r.reset();
  auto abandon = [&](Error e) -> Result<Booted> {
    down_w.reset();
    ::kill(child, SIGKILL);
    (void)wait_exit(child);
    return std::unexpected(std::move(e));
  };
  int err = -1;
  ssize_t n;
  while ((n = ::read(up_r.get(), &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n != sizeof err) return abandon(Error{Errc::Internal, 0, "berthd's child exited before making its namespaces"});
  if (err)
    return abandon(Error{errc_from_errno(err), err,
                         std::string("creating berthd's user namespace: ") + std::strerror(err) +
                             (err == EPERM || err == ENOSPC ? " (is kernel.unprivileged_userns_clone or "
                                                             "user.max_user_namespaces disabled?)"
                                                           : "")});
  if (auto r = map_ids("newuidmap", child, uid, uids); !r) return abandon(r.error());
  if (auto r = map_ids("newgidmap", child, gid, gids); !r) return abandon(r.error());
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // pasta's background process stays ours
  auto np = start_netstack(o, child);
  if (!np) return abandon(np.error());
  log::info("rootless: {} ids mapped from {}, network through {}", name, uid, netstack_name(o.net));
  char go = 'g';
  write_all(down_w.get(), &go, 1);
  down_w.reset();
  supervise(child, std::move(port_parent), std::move(*np));
}

}  // namespace berth::rootless
