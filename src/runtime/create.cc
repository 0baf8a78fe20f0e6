// create, start and run.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <optional>
#include <csignal>

#include "base/defer.h"
#include "base/file.h"
#include "base/log.h"
#include "runtime/cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/launch/cgroup_join.h"
#include "runtime/launch/child_init.h"
#include "runtime/launch/plan_builder.h"
#include "runtime/launch/sync.h"
#include "runtime/linux/hooks.h"
#include "runtime/linux/host_mounts.h"
#include "runtime/linux/seccomp.h"
#include "runtime/runtime_internal.h"
#include "runtime/seccomp_notify.h"
#include "runtime/terminal_proxy.h"
#include "sys/proc.h"
#include "sys/syscalls.h"
#include "sys/userns.h"

namespace berth::runtime {
namespace {

Result<std::string> real_dir(const std::string& path, const std::string& what) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) {
    if (errno == ENOENT) return fail(Errc::NotFound, what + " " + path + " does not exist");
    return fail_errno("resolving " + what + " " + path);
  }
  struct stat st{};
  if (::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(Errc::InvalidArgument, what + " " + path + " is not a directory");
  return std::string(buf);
}

Result<UniqueFd> listen_start_socket(int state_dirfd) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("creating the start socket");
  // Through /proc/self/fd: state paths can exceed sun_path's 108 bytes.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", state_dirfd, kStartSocket);
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("binding the start socket");
  if (::listen(sock.get(), 1) != 0) return fail_errno("listening on the start socket");
  return sock;
}

Result<UniqueFd> connect_console(const std::string& path) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("creating a socket for --console-socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return fail(Errc::InvalidArgument, "--console-socket path is too long: " + path);
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("connecting to --console-socket " + path);
  return sock;
}

Result<void> write_id_maps(pid_t pid, const spec::Spec& s) {
  auto format = [](const std::vector<spec::IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps)
      out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
    return out;
  };
  std::string base = "/proc/" + std::to_string(pid);
  TRYV_CTX(write_existing(base + "/uid_map", format(s.linux.uid_mappings)), "linux.uidMappings");
  TRYV_CTX(write_existing(base + "/gid_map", format(s.linux.gid_mappings)), "linux.gidMappings");
  return {};
}

// Joins the pid namespace (children only) and enters a new time namespace
// with its offsets, both for the process clone3() makes next.
Result<void> prepare_runtime_namespaces(const spec::Spec& s) {
  if (const auto* pid = s.linux.find_namespace("pid"); pid && !pid->path.empty()) {
    UniqueFd fd(::open(pid->path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::setns(fd.get(), CLONE_NEWPID) != 0) return fail_errno("linux.namespaces: joining pid namespace " + pid->path);
  }
  if (const auto* t = s.linux.find_namespace("time")) {
    if (!t->path.empty()) {
      UniqueFd fd(::open(t->path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd || ::setns(fd.get(), CLONE_NEWTIME) != 0) return fail_errno("linux.namespaces: joining time namespace " + t->path);
    } else {
      if (::unshare(CLONE_NEWTIME) != 0) return fail_errno("linux.namespaces: creating a time namespace");
      std::string offsets;
      for (const auto& [clock, off] : s.linux.time_offsets)
        offsets += clock + " " + std::to_string(off.first) + " " + std::to_string(off.second) + "\n";
      if (!offsets.empty()) TRYV_CTX(write_existing("/proc/self/timens_offsets", offsets), "linux.timeOffsets");
    }
  } else if (!s.linux.time_offsets.empty()) {
    return fail(Errc::InvalidArgument, "linux.timeOffsets: needs a time namespace");
  }
  return {};
}

struct Launched {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd pty_master;  // when the runtime relays the terminal itself
};

// Everything between reserving the id and the child's Ready.
Result<Launched> launch(const RuntimeContext& ctx, const CreateOptions& opts, const spec::Spec& s,
                        const std::string& bundle, ContainerState& st, cgroup::Manager& cg, int state_dirfd) {
  InitPlan plan;
  plan.id = opts.id;
  TRYV(build_init_plan(s, bundle, st.rootfs, cg.paths(), cg.mode() == cgroup::Mode::V2,
                       ctx.root + "/" + kSeccompCacheDir, plan));
  plan.rootfs.no_pivot = opts.no_pivot;
  plan.process.preserve_fds = opts.preserve_fds;
  plan.new_keyring = !opts.no_new_keyring;
  UniqueFd console;
  std::optional<ConsolePair> relay;
  if (!opts.console_socket.empty()) {
    if (!plan.process.terminal)
      return fail(Errc::InvalidArgument, "--console-socket given but process.terminal is false");
    console = TRY(connect_console(opts.console_socket));
    plan.process.console_fd = console.get();
  } else if (plan.process.terminal) {
    if (!opts.relay_terminal)
      return fail(Errc::InvalidArgument,
                  "process.terminal is true: --console-socket is required (or use `run` in the foreground)");
    relay = TRY(ConsolePair::make());
    plan.process.console_fd = relay->child_end();
  }
  CgroupJoin join = TRY(prepare_cgroup_join(cg));
  plan.cgroup_task_fds = join.task_fds;
  plan.process.seal();
  UniqueFd start_sock = TRY(listen_start_socket(state_dirfd));
  plan.start_listen_fd = start_sock.get();
  if (!plan.process.seccomp.empty())
    TRYV(write_file_atomic(ctx.root + "/" + opts.id + "/" + kSeccompFile, seccomp_to_bytes(plan.process.seccomp), 0600, false));

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("creating the sync socket");
  UniqueFd parent_end(sv[0]), child_end(sv[1]);

  TRYV(prepare_runtime_namespaces(s));
  // Namespaces the new user namespace's child cannot join itself: this
  // thread joins them for the clone and goes back to its own after it.
  std::vector<std::pair<int, UniqueFd>> own_namespaces;
  auto go_home = [&] {
    for (auto it = own_namespaces.rbegin(); it != own_namespaces.rend(); ++it) (void)::setns(it->second.get(), it->first);
    own_namespaces.clear();
  };
  auto go_home_on_error = Defer(go_home);
  for (const auto& [type, fd] : plan.parent_joins) {
    const char* name = type == CLONE_NEWNET ? "net" : type == CLONE_NEWIPC ? "ipc" : type == CLONE_NEWUTS ? "uts" : "cgroup";
    UniqueFd mine(::open((std::string("/proc/thread-self/ns/") + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!mine) return fail_errno(std::string("opening this thread's ") + name + " namespace");
    if (::setns(fd.get(), type) != 0) return fail_errno(std::string("linux.namespaces: joining the ") + name + " namespace given by path");
    own_namespaces.emplace_back(type, std::move(mine));
  }
  std::vector<uint64_t> mounts_before;
  if (plan.rootfs.shared_mount_ns) mounts_before = TRY(mount_ids());
  int pidfd = -1;
  struct clone_args args{};
  args.flags = plan.clone_flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  pid_t pid = TRY(clone_child(args, join, &plan.cgroup_task_fds));
  if (pid < 0) return fail_errno("clone of the container process (namespaces " + std::to_string(plan.clone_flags) + ")");
  if (pid == 0) {
    parent_end.reset();
    container_init(plan, child_end.get());
  }
  go_home();
  Launched out{pid, UniqueFd(pidfd), {}};
  child_end.reset();
  join = CgroupJoin{};
  auto kill_child = Defer([&] {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    if (plan.rootfs.shared_mount_ns)
      if (auto added = mounts_added_under(st.rootfs, mounts_before)) unmount_all(*added);
  });
  if (plan.new_user_ns) TRYV(write_id_maps(pid, s));
  if (plan.process.oom_score_adj_by_parent)
    TRYV_CTX(write_existing("/proc/" + std::to_string(pid) + "/oom_score_adj",
                            std::to_string(*plan.process.oom_score_adj_by_parent)),
             "setting oomScoreAdj");
  // A failed send means the child has exited: its error record is read below.
  sync_send(parent_end.get(), SyncType::Go);

  st.pid = pid;
  st.pid_start_time = TRY(sys::process_start_time(pid));
  if (plan.wait_runtime_hooks) {
    TRYV(sync_expect(parent_end.get(), SyncType::NsReady, "container set-up"));
    // prestart is the deprecated hook of the old lifecycle, where it ran in
    // `start` on a created container; its hooks (and runtime-tools) still
    // expect "created". createRuntime is of the create operation: "creating".
    TRYV(run_hooks(s.hooks.prestart, "prestart", oci_state_json(ContainerInfo{st, Status::Created}).dump()));
    TRYV(run_hooks(s.hooks.create_runtime, "createRuntime", oci_state_json(ContainerInfo{st, Status::Creating}).dump()));
    sync_send(parent_end.get(), SyncType::NsReadyAck);
  }
  if (plan.wait_container_hooks) {
    TRYV(sync_expect(parent_end.get(), SyncType::PrePivot, "container set-up"));
    std::string state_json = oci_state_json(ContainerInfo{st, Status::Creating}).dump();
    TRYV(run_hooks(s.hooks.create_container, "createContainer", state_json, pid));
    sync_send(parent_end.get(), SyncType::PrePivotAck);
  }
  if (plan.process.seccomp.wants_listener) {
    UniqueFd listener = TRY(receive_seccomp_listener(parent_end.get()));
    const auto& sc = *s.linux.seccomp;
    if (sc.listener_path.empty())
      return fail(Errc::InvalidArgument, "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath");
    TRYV(send_to_seccomp_agent(listener.get(), sc.listener_path, sc.listener_metadata, pid,
                               oci_state_json(ContainerInfo{st, Status::Creating})));
  }
  TRYV(sync_expect(parent_end.get(), SyncType::Ready, "container set-up"));
  if (plan.rootfs.shared_mount_ns) {
    st.own_mount_ns = false;
    st.host_mounts = TRY(mounts_added_under(st.rootfs, mounts_before));
  }
  if (relay) {
    relay->close_child_end();
    out.pty_master = TRY(relay->receive_master());
  }
  kill_child.dismiss();
  return out;
}

Result<void> write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return {};
  return write_file_atomic(path, std::to_string(pid), 0644, false);
}

Result<Launched> create_impl(const RuntimeContext& ctx, const CreateOptions& opts) {
  std::string bundle = TRY(real_dir(opts.bundle, "bundle"));
  spec::Spec s = TRY(spec::load_bundle_spec(bundle));
  StateStore store(ctx.root);
  std::string rootfs_path = s.root.path[0] == '/' ? s.root.path : bundle + "/" + s.root.path;
  std::string rootfs = TRY(real_dir(rootfs_path, "rootfs"));
  TRYV(store.reserve(opts.id));
  auto remove_state = Defer([&] { (void)store.remove(opts.id); });

  ContainerState st;
  st.id = opts.id;
  st.bundle = bundle;
  st.rootfs = rootfs;
  st.created = rfc3339_now();
  st.oci_version = s.oci_version;
  st.annotations = s.annotations;
  st.hooks = s.hooks;
  st.has_user_ns = s.linux.find_namespace("user") != nullptr;
  const auto* pidns = s.linux.find_namespace("pid");
  st.own_pid_ns = pidns && pidns->path.empty();

  auto layout = TRY(cgroup::detect_layout());
  auto cg = TRY(cgroup::make_manager(layout, s.linux.cgroups_path, opts.id));
  spec::Resources res = effective_resources(s);
  // Device rules go on once the container has made its device nodes (as runc
  // sets them after its init is ready): a rule that denies mknod of a default
  // device must not stop the runtime from creating the node.
  spec::Resources device_rules;
  device_rules.devices = std::move(res.devices);
  res.devices.clear();
  TRYV(cg->create(&res));
  auto destroy_cgroup = Defer([&] { (void)cg->destroy(); });
  st.cgroup = cg->to_json();
  // Saved first with pid 0, so that `delete` can clean up after a crash here.
  TRYV(store.save(st));
  TRYV(write_file_atomic(store.dir(opts.id) + "/" + kConfigCopy, s.process ? TRY(read_file(bundle + "/config.json")) : "{}", 0600, false));

  UniqueFd dirfd(::open(store.dir(opts.id).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return fail_errno("opening state directory " + store.dir(opts.id));
  Launched l = TRY(launch(ctx, opts, s, bundle, st, *cg, dirfd.get()));
  auto kill_child = Defer([&] {
    ::kill(l.pid, SIGKILL);
    ::waitpid(l.pid, nullptr, 0);
    unmount_all(st.host_mounts);
  });
  // In a user namespace (rootless) device access is the host's file permissions:
  // unprivileged ids cannot program a device cgroup, as with runc's rootless mode.
  if (!device_rules.devices.empty() && !sys::in_user_namespace())
    TRYV_CTX(cg->update(device_rules), "applying the device rules");
  TRYV(store.save(st));
  TRYV(write_pid_file(opts.pid_file, l.pid));
  kill_child.dismiss();
  destroy_cgroup.dismiss();
  remove_state.dismiss();
  return l;
}

// Connects to the waiting process; EOF means it exec'd, a record is an error.
Result<void> trigger_start(const std::string& state_dir) {
  UniqueFd dirfd(::open(state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return fail_errno("opening " + state_dir);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd.get(), kStartSocket);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("the container process is not waiting to start");
  ::unlinkat(dirfd.get(), kStartSocket, 0);
  SyncMsg msg;
  ssize_t n;
  do {
    n = ::recv(sock.get(), &msg, sizeof msg, MSG_WAITALL);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof msg) && msg.type == SyncType::Error) {
    msg.text[sizeof msg.text - 1] = 0;
    return std::unexpected(Error{msg.err ? errc_from_errno(msg.err) : Errc::Internal, 0,
                                 std::string("unable to start container process: ") + msg.text});
  }
  return {};
}

Result<void> start_loaded(const RuntimeContext& ctx, const ContainerInfo& info) {
  if (info.status != Status::Created)
    return fail(Errc::Conflict, "cannot start container " + info.state.id + " in state " + status_name(info.status) +
                                    " (only a created container can be started)");
  std::string state_json = oci_state_json(info).dump();
  TRYV(run_hooks(info.state.hooks.start_container, "startContainer", state_json, info.state.pid));
  TRYV(trigger_start(StateStore(ctx.root).dir(info.state.id)));
  auto running = info;
  running.status = Status::Running;
  if (auto r = run_hooks(info.state.hooks.poststart, "poststart", oci_state_json(running).dump()); !r)
    log::warn("{}", r.error().str());
  return {};
}

}  // namespace

Result<pid_t> create_container(const RuntimeContext& ctx, const CreateOptions& opts) {
  Launched l = TRY(create_impl(ctx, opts));
  return l.pid;
}

Result<void> start_container(const RuntimeContext& ctx, const std::string& id) {
  ContainerInfo info = TRY(inspect_container(ctx, id));
  return start_loaded(ctx, info);
}

Result<int> run_container(const RuntimeContext& ctx, const CreateOptions& opts, bool detach) {
  // Block forwarded signals before clone3 so none is lost; the child unblocks them before execve.
  sigset_t forward, old;
  sigfillset(&forward);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS}) sigdelset(&forward, sig);
  if (!detach) sigprocmask(SIG_BLOCK, &forward, &old);
  auto restore = Defer([&] {
    if (!detach) sigprocmask(SIG_SETMASK, &old, nullptr);
  });
  CreateOptions o = opts;
  o.relay_terminal = !detach;
  Launched l = TRY(create_impl(ctx, o));
  auto cleanup = Defer([&] {
    ::kill(l.pid, SIGKILL);
    ::waitpid(l.pid, nullptr, 0);
    (void)delete_container(ctx, opts.id, true);
  });
  ContainerInfo info = TRY(inspect_container(ctx, opts.id));
  TRYV(start_loaded(ctx, info));
  if (detach) {
    cleanup.dismiss();
    return 0;
  }
  int status = l.pty_master ? TRY(relay_terminal(l.pid, l.pidfd.get(), forward, l.pty_master.get()))
                            : TRY(wait_forwarding_signals(l.pid, l.pidfd.get(), forward));
  cleanup.dismiss();
  TRYV(delete_container(ctx, opts.id, true));
  return status;
}

}  // namespace berth::runtime
