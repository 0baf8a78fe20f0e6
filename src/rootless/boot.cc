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
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/log.h"
#include "rootless/ns_holder.h"
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

// The holder's part once mapped: its mounts private, its own /sys, lo up (it
// has every capability in the namespaces it made).
Result<void> prepare_namespaces() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail_errno("making berthd's mounts private");
  TRYV(remount_sys());
  TRYV(loopback_up());
  return {};
}

// berthd's part once in the holder's namespaces: root inside.
Result<void> become_root() {
  if (::setresgid(0, 0, 0) != 0) return fail_errno("setresgid(0) in berthd's user namespace");
  if (::setgroups(0, nullptr) != 0) return fail_errno("setgroups in berthd's user namespace");
  if (::setresuid(0, 0, 0) != 0) return fail_errno("setresuid(0) in berthd's user namespace");
  return {};
}

void write_all(int fd, const void* p, size_t n) { (void)!::write(fd, p, n); }

struct NetProcess {
  NetStack kind = NetStack::Pasta;
  pid_t pid = 0;        // slirp4netns (our child) or pasta's background process
  std::string pid_file;  // pasta's
};

// slirp4netns exits when `exit_read`'s pipe closes: its write end is the
// holder's, so the stack lives as long as the namespaces.
Result<NetProcess> start_netstack(const BootOptions& o, pid_t child, int exit_read) {
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
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  no.ready_fd = ready_w.get();
  no.exit_fd = exit_read;
  np.pid = TRY(spawn(netstack_argv(o.net, no), {ready_w.get(), exit_read}));
  ready_w.reset();
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
  // The network stack stays: it is the namespace holder's (ns_holder.h).
  std::_Exit(status);
}

}  // namespace

namespace {

// The holder's report to the outer process: 0, or an errno and the step.
struct HolderStatus {
  int err = 0;
  char what[96] = {};
};

[[noreturn]] void holder_failed(int up, int err, const char* what) {
  HolderStatus st;
  st.err = err ? err : EIO;
  std::snprintf(st.what, sizeof st.what, "%s", what);
  write_all(up, &st, sizeof st);
  std::_Exit(1);
}

// Every fd but stdio and `keep` goes: the holder outlives berthd and must not
// hold what berthd's starter waits on (a notify pipe, a terminal's other fds).
void close_all_but(std::vector<int> keep) {
  keep.push_back(2);
  std::sort(keep.begin(), keep.end());
  unsigned from = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(from)) continue;
    if (static_cast<unsigned>(fd) > from) ::close_range(from, static_cast<unsigned>(fd) - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(from, ~0u, 0);
}

// Forks the namespace holder (its own session: it outlives this process),
// maps its ids, starts the network stack on it, and waits until it serves
// `socket_path`. Returns the stack this process started.
Result<NetProcess> start_holder(const BootOptions& o, const std::string& socket_path, const std::string& name,
                                uid_t uid, gid_t gid, const std::vector<idmap::IdRange>& uids,
                                const std::vector<idmap::IdRange>& gids) {
  int up[2], down[2], ex[2];
  if (::pipe2(up, O_CLOEXEC) != 0 || ::pipe2(down, O_CLOEXEC) != 0 || ::pipe2(ex, O_CLOEXEC) != 0)
    return fail_errno("pipe");
  UniqueFd up_r(up[0]), up_w(up[1]), down_r(down[0]), down_w(down[1]), exit_r(ex[0]), exit_w(ex[1]);
  pid_t holder = ::fork();
  if (holder < 0) return fail_errno("fork");
  if (holder == 0) {
    ::setsid();
    close_all_but({up_w.get(), down_r.get(), exit_w.get()});
    int err = ::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) == 0 ? 0 : errno;
    write_all(up_w.get(), &err, sizeof err);
    if (err) std::_Exit(1);
    char go[1 + sizeof(pid_t)] = {};
    ssize_t n;
    while ((n = ::read(down_r.get(), go, sizeof go)) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof go) || go[0] != 'g') std::_Exit(1);  // the outer process failed and said why
    HolderSetup setup;
    setup.socket_path = socket_path;
    setup.net_kind = o.net;
    std::memcpy(&setup.netstack_pid, go + 1, sizeof(pid_t));
    if (auto r = prepare_namespaces(); !r) holder_failed(up_w.get(), r.error().sys_errno, r.error().message.c_str());
    UniqueFd listener(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    ::unlink(socket_path.c_str());  // a holder that went away
    if (!listener || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener.get(), 16) != 0)
      holder_failed(up_w.get(), errno, "listening on the namespace holder's socket");
    if (::chdir("/") != 0) holder_failed(up_w.get(), errno, "chdir /");
    HolderStatus ok;
    write_all(up_w.get(), &ok, sizeof ok);
    up_w.reset();
    down_r.reset();
    serve_as_holder(std::move(listener), setup);
  }
  up_w.reset();
  down_r.reset();
  exit_w.reset();  // the holder's alone: slirp4netns ends with it
  auto abandon = [&](Error e) -> Result<NetProcess> {
    down_w.reset();
    ::kill(holder, SIGKILL);
    (void)wait_exit(holder);
    return std::unexpected(std::move(e));
  };
  int err = -1;
  ssize_t n;
  while ((n = ::read(up_r.get(), &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n != sizeof err) return abandon(Error{Errc::Internal, 0, "berthd's namespace holder exited before making its namespaces"});
  if (err)
    return abandon(Error{errc_from_errno(err), err,
                         std::string("creating berthd's user namespace: ") + std::strerror(err) +
                             (err == EPERM || err == ENOSPC ? " (is kernel.unprivileged_userns_clone or "
                                                             "user.max_user_namespaces disabled?)"
                                                           : "")});
  if (auto r = map_ids("newuidmap", holder, uid, uids); !r) return abandon(r.error());
  if (auto r = map_ids("newgidmap", holder, gid, gids); !r) return abandon(r.error());
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // pasta's background process stays ours while we run
  auto np = start_netstack(o, holder, exit_r.get());
  if (!np) return abandon(np.error());
  exit_r.reset();
  char go[1 + sizeof(pid_t)] = {'g'};
  pid_t stack_pid = o.net == NetStack::Pasta ? np->pid : 0;
  std::memcpy(go + 1, &stack_pid, sizeof stack_pid);
  write_all(down_w.get(), go, sizeof go);
  down_w.reset();
  HolderStatus st;
  while ((n = ::read(up_r.get(), &st, sizeof st)) < 0 && errno == EINTR) {
  }
  if (n != sizeof st) return abandon(Error{Errc::Internal, 0, "berthd's namespace holder exited while setting up"});
  if (st.err) return abandon(Error{errc_from_errno(st.err), st.err, std::string(st.what) + ": " + std::strerror(st.err)});
  log::info("rootless: {} ids mapped from {}, network through {}, namespaces held by process {}", name, uid,
            netstack_name(o.net), holder);
  return np;
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

  // The namespaces of a berthd that ran before (its containers still run in
  // them), or new ones.
  std::string socket_path = o.runtime_dir + "/ns.sock";
  auto held = TRY(join_holder(socket_path, o.net));
  NetProcess np;
  if (held) {
    if (held->net_kind != o.net)
      log::warn("rootless: containers still run in the namespaces of the berthd before: keeping their {} ({} takes "
                "effect once they are gone)",
                netstack_name(held->net_kind), netstack_name(o.net));
    else
      log::info("rootless: joining the namespaces of the berthd before (its containers keep their network)");
  } else {
    np = TRY(start_holder(o, socket_path, name, uid, gid, uids, gids));
    held = TRY(join_holder(socket_path, o.net));
    if (!held) return fail(Errc::Internal, "berthd's namespace holder does not answer on " + socket_path);
  }

  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) return fail_errno("socketpair");
  UniqueFd port_parent(sp[0]), port_child(sp[1]);
  pid_t parent_pid = ::getpid();
  pid_t child = ::fork();
  if (child < 0) return fail_errno("fork");
  if (child == 0) {
    port_parent.reset();
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent_pid) std::_Exit(1);
    // User first: its capabilities are what joining the other two needs.
    if (::setns(held->user.get(), CLONE_NEWUSER) != 0) return fail_errno("joining berthd's user namespace");
    if (::setns(held->mnt.get(), CLONE_NEWNS) != 0) return fail_errno("joining berthd's mount namespace");
    if (::setns(held->net.get(), CLONE_NEWNET) != 0) return fail_errno("joining berthd's network namespace");
    if (::chdir("/") != 0) return fail_errno("chdir /");
    TRYV(become_root());
    // Open for berthd's whole life (close-on-exec): the holder counts it.
    (void)held->conn.release();
    Booted b;
    b.port_sock = std::move(port_child);
    b.net = held->net_kind;
    return b;
  }
  port_child.reset();
  held.reset();  // the holder watches berthd's connection, not ours
  supervise(child, std::move(port_parent), std::move(np));
}

}  // namespace berth::rootless
