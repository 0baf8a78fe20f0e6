// exec: a new process inside a running container's namespaces and cgroups.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <optional>

#include "base/defer.h"
#include "base/file.h"
#include "runtime/container.h"
#include "runtime/launch/cgroup_join.h"
#include "runtime/launch/plan_builder.h"
#include "runtime/launch/process_setup.h"
#include "runtime/launch/sync.h"
#include "runtime/linux/namespaces.h"
#include "runtime/linux/seccomp.h"
#include "runtime/runtime_internal.h"
#include "runtime/seccomp_notify.h"
#include "runtime/terminal_proxy.h"
#include "sys/syscalls.h"

namespace berth::runtime {
namespace {

struct NsFd {
  int type;
  UniqueFd fd;
};

// The namespaces of pid that differ from ours, user first and mount last
// (setns into our own user namespace is refused by the kernel).
Result<std::vector<NsFd>> open_namespaces(pid_t pid, UniqueFd& pidns) {
  std::vector<NsFd> out;
  for (size_t i = 0; i < kJoinOrderSize; ++i) {
    const NamespaceKind& ns = kJoinOrder[i];
    std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + ns.proc_name;
    std::string ours = std::string("/proc/self/ns/") + ns.proc_name;
    char a[64] = {}, b[64] = {};
    if (::readlink(theirs.c_str(), a, sizeof a - 1) < 0) {
      if (errno == ENOENT && std::strcmp(ns.proc_name, "time") == 0) continue;
      return fail_errno("reading namespace " + theirs);
    }
    if (::readlink(ours.c_str(), b, sizeof b - 1) >= 0 && std::strcmp(a, b) == 0) continue;
    UniqueFd fd(::open(theirs.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno("opening namespace " + theirs);
    if (ns.clone_flag == CLONE_NEWPID) pidns = std::move(fd);
    else out.push_back({ns.clone_flag, std::move(fd)});
  }
  return out;
}

// root_fd: the container's root when it shares our mount namespace (it was
// entered with chroot, which setns cannot give), else -1.
[[noreturn]] void exec_child(const ProcessPlan& p, const std::vector<NsFd>& nss, const std::vector<int>& task_fds,
                             int root_fd, int sync_fd) {
  if (join_cgroups_self(task_fds, sync_fd) != 0) _exit(1);
  int keep[16];
  size_t n = 0;
  keep[n++] = sync_fd;
  keep[n++] = p.console_fd;
  keep[n++] = root_fd;
  for (const auto& ns : nss)
    if (n < 16) keep[n++] = ns.fd.get();
  close_fds_except(keep, n, 3u + static_cast<unsigned>(p.preserve_fds));
  SyncMsg go;
  if (sync_recv(sync_fd, &go) != 0 || go.type != SyncType::Go) _exit(1);
  for (const auto& ns : nss) {
    if (::setns(ns.fd.get(), ns.type) != 0) {
      sync_send_error(sync_fd, errno, "joining the container's namespace (type %#x)", ns.type);
      _exit(1);
    }
  }
  if (root_fd >= 0) {
    if (::fchdir(root_fd) != 0 || ::chroot(".") != 0 || ::chdir("/") != 0) {
      sync_send_error(sync_fd, errno, "entering the container's root");
      _exit(1);
    }
    ::close(root_fd);
  }
  PendingSeccomp pending;
  if (setup_terminal(p, sync_fd) != 0 || close_inherited_fds(p, sync_fd) != 0 ||
      apply_process_identity(p, sync_fd, &pending) != 0)
    _exit(1);
  char path[4096];
  if (find_executable(p, path, sizeof path, sync_fd) != 0) _exit(1);
  exec_process(p, path, pending, sync_fd);
}

}  // namespace

Result<int> exec_in_container(const RuntimeContext& ctx, const std::string& id, const ExecOptions& opts) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  if (info.status == Status::Stopped) return fail(Errc::Conflict, "cannot exec in a stopped container " + id);
  if (info.status == Status::Paused) return fail(Errc::Conflict, "cannot exec in a paused container " + id);
  const ContainerState& st = info.state;
  StateStore store(ctx.root);

  ProcessPlan plan;
  TRYV(build_process_plan(opts.process, st.has_user_ns, plan));
  if (!opts.process.apparmor_profile.empty())
    return fail(Errc::Unsupported, "process.apparmorProfile: AppArmor is not available on this host");
  if (auto bytes = read_file(store.dir(id) + "/" + kSeccompFile); bytes)
    plan.seccomp = TRY(seccomp_from_bytes(*bytes));
  plan.preserve_fds = opts.preserve_fds;
  UniqueFd console;
  if (!opts.console_socket.empty()) {
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", opts.console_socket.c_str());
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      return fail_errno("connecting to --console-socket " + opts.console_socket);
    console = std::move(sock);
    plan.console_fd = console.get();
  }
  std::optional<ConsolePair> relay;
  if (opts.console_socket.empty() && plan.terminal) {
    if (opts.detach) return fail(Errc::InvalidArgument, "exec --tty --detach needs --console-socket");
    relay = TRY(ConsolePair::make());
    plan.console_fd = relay->child_end();
  }
  plan.seal();

  UniqueFd pidns;
  std::vector<NsFd> nss = TRY(open_namespaces(st.pid, pidns));
  UniqueFd root;
  if (!st.own_mount_ns) {
    std::string path = "/proc/" + std::to_string(st.pid) + "/root";
    root.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return fail_errno("opening the root of container " + id + " (" + path + ")");
  }
  auto cg = TRY(load_cgroup(st));
  // setns(CLONE_NEWPID) changes only where the caller's next child is born;
  // a long-lived caller (berth-vm-agent runs this in-process) gets its own
  // back once the exec process exists, or its next container's clone with
  // CLONE_NEWPID fails with EINVAL.
  UniqueFd own_pidns;
  if (pidns) {
    own_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!own_pidns) return fail_errno("opening this process's pid namespace");
  }
  auto restore_pidns = Defer([&] {
    if (own_pidns) ::setns(own_pidns.get(), CLONE_NEWPID);
  });
  if (pidns && ::setns(pidns.get(), CLONE_NEWPID) != 0) return fail_errno("joining the pid namespace of " + id);

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("creating the sync socket");
  UniqueFd parent_end(sv[0]), child_end(sv[1]);

  sigset_t forward, old;
  sigfillset(&forward);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS}) sigdelset(&forward, sig);
  if (!opts.detach) sigprocmask(SIG_BLOCK, &forward, &old);

  int pidfd = -1;
  struct clone_args args{};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  CgroupJoin join = TRY(prepare_cgroup_join(*cg));
  std::vector<int> task_fds = join.task_fds;
  pid_t pid = TRY(clone_child(args, join, &task_fds));
  if (pid < 0) return fail_errno("clone of the exec process");
  if (pid == 0) {
    parent_end.reset();
    exec_child(plan, nss, task_fds, root.get(), child_end.get());
  }
  UniqueFd pidfd_owner(pidfd);
  child_end.reset();
  auto kill_child = Defer([&] {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  });
  join = CgroupJoin{};
  if (sync_send(parent_end.get(), SyncType::Go) != 0) return fail_errno("signalling the exec process");
  if (plan.seccomp.wants_listener) {
    UniqueFd listener = TRY(receive_seccomp_listener(parent_end.get()));
    spec::Spec cs = TRY(spec::parse_spec(TRY(read_file(store.dir(id) + "/" + kConfigCopy))));
    if (!cs.linux.seccomp || cs.linux.seccomp->listener_path.empty())
      return fail(Errc::InvalidArgument, "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath");
    TRYV(send_to_seccomp_agent(listener.get(), cs.linux.seccomp->listener_path, cs.linux.seccomp->listener_metadata,
                               pid, oci_state_json(info)));
  }
  // An error record, or EOF once execve closed the socket.
  SyncMsg msg;
  if (sync_recv(parent_end.get(), &msg) == 0 && msg.type == SyncType::Error) {
    msg.text[sizeof msg.text - 1] = 0;
    return std::unexpected(Error{msg.err ? errc_from_errno(msg.err) : Errc::Internal, 0,
                                 std::string("exec failed: ") + msg.text});
  }
  if (!opts.pid_file.empty()) TRYV(write_file_atomic(opts.pid_file, std::to_string(pid), 0644, false));
  UniqueFd master;
  if (relay) {
    relay->close_child_end();
    master = TRY(relay->receive_master());
  }
  kill_child.dismiss();
  if (opts.detach) return 0;
  int status = master ? TRY(relay_terminal(pid, pidfd_owner.get(), forward, master.get()))
                      : TRY(wait_forwarding_signals(pid, pidfd_owner.get(), forward));
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return status;
}

}  // namespace berth::runtime
