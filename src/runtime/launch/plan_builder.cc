#include "runtime/launch/plan_builder.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/file.h"
#include "base/strings.h"
#include "runtime/linux/mount_options.h"
#include "runtime/linux/namespaces.h"
#include "runtime/linux/seccomp_cache.h"
#include "sys/userns.h"

namespace berth::runtime {
namespace {

const char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct DefaultDevice {
  const char* path;
  unsigned major, minor;
};
const DefaultDevice kDefaultDevices[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                                         {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};

std::string absolute_in(const std::string& base, const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  return base + "/" + path;
}

// Sysctls that a container may set: those that are namespaced, and only when
// it has the namespace (as runc validates).
Result<std::string> sysctl_path(const spec::Spec& s, const std::string& key) {
  auto has_ns = [&](const char* type) {
    const auto* ns = s.linux.find_namespace(type);
    return ns != nullptr;
  };
  static const std::set<std::string> ipc_keys = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                                 "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                                 "kernel.shm_rmid_forced"};
  std::string field = "linux.sysctl." + key;
  if (ipc_keys.count(key) || key.rfind("fs.mqueue.", 0) == 0) {
    if (!has_ns("ipc")) return fail(Errc::InvalidArgument, field + ": needs an ipc namespace");
  } else if (key.rfind("net.", 0) == 0) {
    const auto* ns = s.linux.find_namespace("network");
    if (!ns) return fail(Errc::InvalidArgument, field + ": needs a network namespace");
  } else if (key == "kernel.hostname" || key == "kernel.domainname") {
    if (!has_ns("uts")) return fail(Errc::InvalidArgument, field + ": needs a uts namespace");
  } else {
    return fail(Errc::InvalidArgument, field + ": not a namespaced sysctl; it would change the host");
  }
  std::string path = "/proc/sys/";
  for (char c : key) path += c == '.' ? '/' : c;
  return path;
}

Result<void> add_mounts(const spec::Spec& s, const std::string& bundle, RootfsPlan& r) {
  for (size_t i = 0; i < s.mounts.size(); ++i) {
    const auto& m = s.mounts[i];
    std::string field = "mounts[" + std::to_string(i) + "]";
    for (const auto& o : m.options) {
      if (o == "idmap" || o == "ridmap")
        return fail(Errc::Unsupported, field + ".options: idmapped mounts are not supported");
      if (o == "tmpcopyup")
        return fail(Errc::Unsupported, field + ".options: tmpcopyup is not supported");
    }
    if (!m.uid_mappings.empty() || !m.gid_mappings.empty())
      return fail(Errc::Unsupported, field + ": uidMappings/gidMappings (idmapped mounts) are not supported");
    auto opts = parse_mount_options(m.options);
    MountStep step;
    step.index = i;
    step.destination = m.destination;
    step.type = m.type;
    step.flags = opts.flags;
    step.propagation = opts.propagation;
    step.attr_set = opts.attr_set;
    step.attr_clr = opts.attr_clr;
    step.data = opts.data;
    if (m.type == "cgroup" || m.type == "cgroup2") {
      step.kind = MountStep::Kind::Cgroup;
    } else if (m.type == "bind" || opts.is_bind()) {
      step.kind = MountStep::Kind::Bind;
      step.source = absolute_in(bundle, m.source);
      struct stat st{};
      if (::stat(step.source.c_str(), &st) != 0)
        return fail_errno(field + ": bind source " + step.source + " is not accessible");
      step.source_is_dir = S_ISDIR(st.st_mode);
      if (m.type == "bind" && !opts.is_bind()) step.flags |= MS_BIND;
    } else {
      if (m.type.empty()) return fail(Errc::InvalidArgument, field + ".type: required for a non-bind mount");
      step.source = m.source.empty() ? m.type : m.source;
    }
    if (m.destination == "/dev" && step.kind == MountStep::Kind::Bind) r.setup_dev = false;
    r.mounts.push_back(std::move(step));
  }
  return {};
}

Result<void> add_devices(const spec::Spec& s, RootfsPlan& r) {
  std::set<std::string> seen;
  for (const auto& d : s.linux.devices) {
    DeviceNode n;
    n.path = d.path;
    mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    n.mode = type | (d.file_mode ? (*d.file_mode & 07777) : 0666);
    n.dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    n.uid = d.uid.value_or(0);
    n.gid = d.gid.value_or(0);
    seen.insert(n.path);
    r.devices.push_back(n);
  }
  for (const auto& d : kDefaultDevices) {
    if (seen.count(d.path)) continue;
    r.devices.push_back(DeviceNode{d.path, S_IFCHR | 0666, makedev(d.major, d.minor), 0, 0});
  }
  return {};
}

// The mount holding the rootfs directory, from mountinfo (longest prefix).
std::string mount_point_of(const std::string& path) {
  auto text = read_file("/proc/self/mountinfo");
  if (!text) return "/";
  std::string best = "/";
  for (const auto& line : split(*text, '\n', true)) {
    auto f = split(line, ' ');
    if (f.size() < 5) continue;
    const std::string& mp = f[4];
    if ((path == mp || path.rfind(mp == "/" ? mp : mp + "/", 0) == 0) && mp.size() > best.size()) best = mp;
  }
  return best;
}

Result<void> resolve_scheduler(const spec::Scheduler& sc, const std::string& field, ProcessPlan& p) {
  static const std::pair<const char*, uint32_t> kPolicies[] = {
      {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2}, {"SCHED_BATCH", 3}, {"SCHED_IDLE", 5},
      {"SCHED_DEADLINE", 6}};
  static const std::pair<const char*, uint64_t> kFlags[] = {
      {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02}, {"SCHED_FLAG_DL_OVERRUN", 0x04},
      {"SCHED_FLAG_KEEP_POLICY", 0x08},   {"SCHED_FLAG_KEEP_PARAMS", 0x10}, {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
      {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
  bool known = false;
  for (const auto& [name, value] : kPolicies)
    if (sc.policy == name) p.sched.policy = value, known = true;
  if (!known) return fail(Errc::InvalidArgument, field + ".policy: unknown policy '" + sc.policy + "'");
  for (const auto& f : sc.flags) {
    bool ok = false;
    for (const auto& [name, value] : kFlags)
      if (f == name) p.sched.flags |= value, ok = true;
    if (!ok) return fail(Errc::InvalidArgument, field + ".flags: unknown flag '" + f + "'");
  }
  if (sc.nice < -20 || sc.nice > 19) return fail(Errc::InvalidArgument, field + ".nice: must be -20 to 19");
  p.sched.nice = sc.nice;
  p.sched.priority = static_cast<uint32_t>(sc.priority);
  p.sched.runtime = sc.runtime;
  p.sched.deadline = sc.deadline;
  p.sched.period = sc.period;
  p.has_sched = true;
  return {};
}

}  // namespace

bool selinux_enabled() {
  // selinuxfs is mounted where the kernel has SELinux enabled (libselinux's test).
  return ::access("/sys/fs/selinux/enforce", F_OK) == 0;
}

Result<void> check_unsupported(const spec::Spec& s) {
  if (s.process && !s.process->apparmor_profile.empty())
    return fail(Errc::Unsupported, "process.apparmorProfile: AppArmor is not available on this host (profile '" +
                                       s.process->apparmor_profile + "')");
  // SELinux labels mean nothing on a host without SELinux: runc and crun
  // ignore them there, and so does berth. Where SELinux is on, berth cannot
  // apply them yet, and a label that would not be applied is refused.
  // (The host is asked only when a label is given: no syscall on the usual start path.)
  if (s.process && !s.process->selinux_label.empty() && selinux_enabled())
    return fail(Errc::Unsupported, "process.selinuxLabel: berth-runtime does not apply SELinux labels yet");
  if (!s.linux.mount_label.empty() && selinux_enabled())
    return fail(Errc::Unsupported, "linux.mountLabel: berth-runtime does not apply SELinux labels yet");
  if (s.linux.has_intel_rdt)
    return fail(Errc::Unsupported, "linux.intelRdt: Intel RDT (resctrl) is not available on this host");
  // A uts namespace of the container's own, new or joined by path: without
  // one, the hostname would be the host's.
  if (!s.hostname.empty() && !s.linux.find_namespace("uts"))
    return fail(Errc::InvalidArgument, "hostname: setting a hostname needs a uts namespace");
  const auto* user = s.linux.find_namespace("user");
  if (user && user->path.empty() && (s.linux.uid_mappings.empty() || s.linux.gid_mappings.empty()))
    return fail(Errc::InvalidArgument, "linux.uidMappings/gidMappings: a new user namespace needs both mappings");
  if (s.linux.personality && !s.linux.personality->flags.empty())
    return fail(Errc::Unsupported, "linux.personality.flags: personality flags are not supported");
  return {};
}

Result<void> build_process_plan(const spec::Process& proc, bool in_user_ns, ProcessPlan& p,
                                const std::string& field) {
  if (proc.args.empty()) return fail(Errc::InvalidArgument, field + ".args: must name the program to run");
  p.args = proc.args;
  p.env = proc.env;
  p.path_env = kDefaultPath;
  for (const auto& e : proc.env)
    if (e.rfind("PATH=", 0) == 0) p.path_env = e.substr(5);
  p.cwd = proc.cwd;
  p.uid = proc.user.uid;
  p.gid = proc.user.gid;
  p.groups.assign(proc.user.additional_gids.begin(), proc.user.additional_gids.end());
  p.set_groups = true;
  if (proc.user.umask) p.umask = static_cast<mode_t>(*proc.user.umask);
  if (proc.capabilities) {
    p.caps = TRY(resolve_caps(*proc.capabilities));
    p.has_caps = true;
  }
  p.rlimits = TRY(resolve_rlimits(proc.rlimits));
  p.no_new_privs = proc.no_new_privileges;
  if (in_user_ns) p.oom_score_adj_by_parent = proc.oom_score_adj;
  else p.oom_score_adj = proc.oom_score_adj;
  if (proc.io_priority) {
    int klass = proc.io_priority->klass == "IOPRIO_CLASS_RT"     ? 1
                : proc.io_priority->klass == "IOPRIO_CLASS_BE"   ? 2
                : proc.io_priority->klass == "IOPRIO_CLASS_IDLE" ? 3
                                                                 : 0;
    if (!klass) return fail(Errc::InvalidArgument, field + ".ioPriority.class: unknown class '" + proc.io_priority->klass + "'");
    if (proc.io_priority->priority < 0 || proc.io_priority->priority > 7)
      return fail(Errc::InvalidArgument, field + ".ioPriority.priority: must be 0 to 7");
    p.ioprio = (klass << 13) | proc.io_priority->priority;
  }
  if (proc.scheduler) TRYV(resolve_scheduler(*proc.scheduler, field + ".scheduler", p));
  p.terminal = proc.terminal;
  if (proc.console_size) {
    p.rows = static_cast<unsigned short>(proc.console_size->height);
    p.cols = static_cast<unsigned short>(proc.console_size->width);
  }
  return {};
}

spec::Resources effective_resources(const spec::Spec& s) {
  spec::Resources res = s.linux.resources.value_or(spec::Resources{});
  // The allow list goes after the config's rules, so what a config rule denies
  // for one of these devices by number (not a catch-all "a") must stay denied.
  const size_t config_rules = res.devices.size();
  auto allow = [&](const char* type, int64_t major, std::optional<int64_t> minor) {
    std::string access = "rwm";
    for (size_t i = 0; i < config_rules; ++i) {
      const auto& r = res.devices[i];
      if (r.allow || r.type != type || !r.major || *r.major != major) continue;
      if (r.minor && (!minor || *r.minor != *minor)) continue;
      std::erase_if(access, [&](char c) { return r.access.find(c) != std::string::npos; });
    }
    if (!access.empty()) res.devices.push_back(spec::DeviceRule{true, type, major, minor, access});
  };
  for (const auto& d : kDefaultDevices) allow("c", d.major, d.minor);
  for (const auto& d : s.linux.devices)
    if (d.type == "c" || d.type == "b" || d.type == "u")
      allow(d.type == "b" ? "b" : "c", d.major, d.minor);
  allow("c", 5, 1);             // /dev/console
  allow("c", 5, 2);             // /dev/ptmx
  allow("c", 136, std::nullopt);  // /dev/pts/*
  allow("c", 10, 200);          // /dev/net/tun
  return res;
}

Result<void> build_init_plan(const spec::Spec& s, const std::string& bundle, const std::string& rootfs,
                             const std::map<std::string, std::string>& cgroup_paths, bool cgroup_v2,
                             const std::string& seccomp_cache_dir, InitPlan& plan) {
  if (!s.process) return fail(Errc::InvalidArgument, "config.json: process is required to create a container");
  TRYV(check_unsupported(s));

  for (const auto& ns : s.linux.namespaces) {
    int flag = namespace_clone_flag(ns.type);
    if (!ns.path.empty()) {
      if (ns.type == "pid" || ns.type == "time") continue;  // joined by the runtime before clone3
      UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return fail_errno("linux.namespaces: opening " + ns.type + " namespace " + ns.path);
      plan.joins.emplace_back(flag, std::move(fd));
      continue;
    }
    if (ns.type == "cgroup") plan.new_cgroup_ns = true;
    else if (ns.type != "time") plan.clone_flags |= static_cast<unsigned long>(flag);
    if (ns.type == "user") plan.new_user_ns = true;
  }
  // Join order: user first (it grants what the others need), mount last.
  std::stable_sort(plan.joins.begin(), plan.joins.end(), [](const auto& a, const auto& b) {
    auto rank = [](int t) { return t == CLONE_NEWUSER ? 0 : t == CLONE_NEWNS ? 2 : 1; };
    return rank(a.first) < rank(b.first);
  });
  if (plan.new_user_ns) {
    for (auto& j : plan.joins) {
      if (j.first == CLONE_NEWNS || j.first == CLONE_NEWUSER)
        return fail(Errc::Unsupported, "linux.namespaces: joining a mount or user namespace by path while creating a "
                                       "new user namespace is not supported");
      plan.parent_joins.push_back(std::move(j));
    }
    plan.joins.clear();
  }

  if (!s.hostname.empty()) {
    plan.has_hostname = true;
    plan.hostname = s.hostname;
  }
  if (!s.domainname.empty()) {
    plan.has_domainname = true;
    plan.domainname = s.domainname;
  }
  plan.wait_runtime_hooks = !s.hooks.prestart.empty() || !s.hooks.create_runtime.empty();
  plan.wait_container_hooks = !s.hooks.create_container.empty();

  // In a rootless daemon's namespace too: no mknod there, sysfs only with a netns of our own.
  bool in_user_ns = plan.new_user_ns || s.linux.find_namespace("user") || sys::in_user_namespace();
  RootfsPlan& r = plan.rootfs;
  r.rootfs = rootfs;
  r.shared_mount_ns = !s.linux.find_namespace("mount");
  if (!r.shared_mount_ns) r.rootfs_parent_mount = mount_point_of(rootfs.substr(0, rootfs.find_last_of('/')));
  r.root_propagation = propagation_flag(s.linux.rootfs_propagation);
  r.readonly = s.root.readonly;
  r.in_user_ns = in_user_ns;
  r.cgroup_ns = plan.new_cgroup_ns;
  r.cgroup_v2 = cgroup_v2;
  for (const auto& [mountpoint, dir] : cgroup_paths)
    r.cgroup_sources.push_back({mountpoint.substr(mountpoint.find_last_of('/') + 1), dir});
  TRYV(add_mounts(s, bundle, r));
  TRYV(add_devices(s, r));
  r.masked_paths = s.linux.masked_paths;
  r.readonly_paths = s.linux.readonly_paths;
  for (const auto& [key, value] : s.linux.sysctl) r.sysctl.emplace_back(TRY(sysctl_path(s, key)), value);
  r.cwd = s.process->cwd;

  TRYV(build_process_plan(*s.process, in_user_ns, plan.process));
  if (s.linux.seccomp)
    plan.process.seccomp = TRY(compile_seccomp_cached(*s.linux.seccomp, s.linux.seccomp_json, seccomp_cache_dir));
  if (plan.process.seccomp.wants_listener && s.linux.seccomp->listener_path.empty())
    return fail(Errc::InvalidArgument, "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
  if (s.linux.personality) {
    const auto& d = s.linux.personality->domain;
    if (d == "LINUX") plan.process.personality = PER_LINUX;
    else if (d == "LINUX32") plan.process.personality = PER_LINUX32;
    else return fail(Errc::InvalidArgument, "linux.personality.domain: unknown domain '" + d + "'");
  }
  return {};
}

}  // namespace berth::runtime
