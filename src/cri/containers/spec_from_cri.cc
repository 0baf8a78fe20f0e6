#include "cri/containers/spec_from_cri.h"

#include <cstdint>

#include <algorithm>
#include <set>

#include "cri/containers/cri_labels.h"
#include "cri/pods/vm_pod.h"

namespace berth::cri {
namespace {

namespace rt = runtime::v1;

std::unexpected<Error> invalid(const std::string& message) { return fail(Errc::InvalidArgument, message); }

model::Propagation propagation_of(rt::MountPropagation p) {
  switch (p) {
    case rt::PROPAGATION_HOST_TO_CONTAINER: return model::Propagation::RSlave;
    case rt::PROPAGATION_BIDIRECTIONAL: return model::Propagation::RShared;
    default: return model::Propagation::RPrivate;
  }
}

// The CRI names capabilities without CAP_ ("NET_ADMIN"), and "ALL".
std::string cap_name(const std::string& c) {
  std::string up = c;
  std::transform(up.begin(), up.end(), up.begin(), ::toupper);
  if (up == "ALL" || up.rfind("CAP_", 0) == 0) return up;
  return "CAP_" + up;
}

Result<void> map_security(const rt::LinuxContainerSecurityContext& sc, const SpecSources& sources,
                          model::ContainerSpec& s) {
  auto& h = s.host;
  h.privileged = sc.privileged();
  for (const auto& c : sc.capabilities().add_capabilities()) h.cap_add.push_back(cap_name(c));
  for (const auto& c : sc.capabilities().drop_capabilities()) h.cap_drop.push_back(cap_name(c));
  if (!sc.capabilities().add_ambient_capabilities().empty())
    return invalid("linux.security_context.capabilities.add_ambient_capabilities: ambient capabilities are not "
                   "supported by berth yet");
  // User: a name (looked up in the image's /etc/passwd at start) or a uid, with the group.
  if (!sc.run_as_username().empty()) {
    s.config.user = sc.run_as_username();
  } else if (sc.has_run_as_user()) {
    s.config.user = std::to_string(sc.run_as_user().value());
  }
  if (sc.has_run_as_group()) {
    if (s.config.user.empty())
      return invalid("linux.security_context.run_as_group needs run_as_user or run_as_username");
    s.config.user += ":" + std::to_string(sc.run_as_group().value());
  }
  for (int64_t g : sc.supplemental_groups()) h.group_add.push_back(std::to_string(g));
  h.readonly_rootfs = sc.readonly_rootfs();
  if (sc.no_new_privs()) h.security_opt.push_back("no-new-privileges");
  // The kubelet sends the paths it wants masked/read-only (its defaults, or
  // none for privileged and procMount Unmasked): an empty list is none.
  h.masked_paths = std::vector<std::string>(sc.masked_paths().begin(), sc.masked_paths().end());
  h.readonly_paths = std::vector<std::string>(sc.readonly_paths().begin(), sc.readonly_paths().end());
  // Seccomp: no profile is unconfined (containerd's reading), RuntimeDefault is
  // berth's default profile (Docker's), Localhost a JSON profile file.
  if (!sc.has_seccomp()) {
    h.security_opt.push_back("seccomp=unconfined");
  } else {
    switch (sc.seccomp().profile_type()) {
      case rt::SecurityProfile::RuntimeDefault: break;
      case rt::SecurityProfile::Unconfined: h.security_opt.push_back("seccomp=unconfined"); break;
      case rt::SecurityProfile::Localhost: {
        const std::string& path = sc.seccomp().localhost_ref();
        if (path.empty() || path[0] != '/')
          return invalid("linux.security_context.seccomp.localhost_ref \"" + path + "\" is not an absolute path");
        auto text = sources.read_file(path);
        if (!text) return invalid("linux.security_context.seccomp: reading the profile " + path + ": " + text.error().str());
        h.security_opt.push_back("seccomp=" + *text);
        break;
      }
      default: return invalid("linux.security_context.seccomp: unknown profile type");
    }
  }
  // AppArmor and SELinux: berth applies neither (no LSM support yet); the
  // kubelet's requests are accepted and have no effect (docs/kubernetes.md).
  return {};
}

Result<void> map_resources(const rt::LinuxContainerResources& r, model::ContainerSpec& s) {
  TRYV(resources_from_cri(r, s.host.resources));
  if (r.oom_score_adj() < -1000 || r.oom_score_adj() > 1000)
    return invalid("linux.resources.oom_score_adj " + std::to_string(r.oom_score_adj()) + " is outside [-1000, 1000]");
  s.host.oom_score_adj = static_cast<int>(r.oom_score_adj());
  return {};
}

model::NamespaceMode path_mode(const std::string& path) {
  model::NamespaceMode m;
  m.kind = model::NamespaceMode::Kind::Path;
  m.target = path;
  return m;
}

}  // namespace

Result<void> resources_from_cri(const rt::LinuxContainerResources& r, model::Resources& res) {
  res.cpu_period = r.cpu_period();
  res.cpu_quota = r.cpu_quota();
  res.cpu_shares = r.cpu_shares();
  res.memory = r.memory_limit_in_bytes();
  res.memory_swap = r.memory_swap_limit_in_bytes();
  res.cpuset_cpus = r.cpuset_cpus();
  res.cpuset_mems = r.cpuset_mems();
  // A kubelet lists every page size, with limit 0 when the pod asks for none:
  // a limit of 0 on hugetlb forbids huge pages, as the kubelet means.
  res.hugepage_limits.clear();
  for (const auto& hp : r.hugepage_limits()) {
    if (hp.limit() > static_cast<uint64_t>(INT64_MAX))
      return invalid("linux.resources.hugepage_limits (" + hp.page_size() + "): limit too large");
    res.hugepage_limits[hp.page_size()] = static_cast<int64_t>(hp.limit());
  }
  res.unified = std::map<std::string, std::string>(r.unified().begin(), r.unified().end());
  return {};
}

Result<CriContainerSpec> spec_from_cri(const rt::ContainerConfig& config, const PodSandbox& pod,
                                       const SpecSources& sources) {
  if (!config.has_metadata() || config.metadata().name().empty())
    return invalid("CreateContainer: config.metadata.name is required");
  if (config.image().image().empty()) return invalid("CreateContainer: config.image.image is required");
  if (!config.cdi_devices().empty()) return invalid("CreateContainer: CDI devices are not supported by berth");
  // A VM pod's containers run in its VM (cri/pods/vm_pod.h): the berth-vm
  // runtime, whose runner joins the pod's keeper.
  if (pod.is_vm())
    if (auto why = vm_container_refusal(config); !why.empty()) return invalid("CreateContainer: " + why);
  const auto& pm = pod.metadata();
  CriContainerSpec out;
  out.name = "k8s_" + config.metadata().name() + "_" + pm.name() + "_" + pm.namespace_() + "_" + pm.uid() + "_" +
             std::to_string(config.metadata().attempt());
  model::ContainerSpec& s = out.spec;
  s.ns = "k8s.io";
  auto& c = s.config;
  c.image = config.image().image();
  if (!config.command().empty()) c.entrypoint = std::vector<std::string>(config.command().begin(), config.command().end());
  if (!config.args().empty()) c.cmd = std::vector<std::string>(config.args().begin(), config.args().end());
  c.working_dir = config.working_dir();
  for (const auto& kv : config.envs()) {
    if (kv.key().empty()) return invalid("CreateContainer: config.envs has an entry without a key");
    c.env.push_back(kv.key() + "=" + kv.value());
  }
  c.tty = config.tty();
  c.open_stdin = config.stdin();
  c.stdin_once = config.stdin_once();
  c.attach_stdin = config.stdin();
  c.attach_stdout = c.attach_stderr = true;
  c.labels[kSandboxIdLabel] = pod.id;
  c.labels[kContainerNameLabel] = config.metadata().name();
  c.labels[kAttemptLabel] = std::to_string(config.metadata().attempt());
  c.labels[kLabelsLabel] = map_to_json({config.labels().begin(), config.labels().end()});
  c.labels[kAnnotationsLabel] = map_to_json({config.annotations().begin(), config.annotations().end()});
  c.labels[kImageLabel] = config.image().image();
  // The hostname is the pod's (its UTS namespace); HOSTNAME in the env says so.
  if (!pod.host_network()) c.hostname = pod.config.hostname();

  auto& h = s.host;
  if (pod.is_vm()) h.runtime = "berth-vm";
  // Logs in the kubelet's format at the path it gives (none without one).
  if (!pod.config.log_directory().empty() && !config.log_path().empty()) {
    h.log_config.driver = "cri";
    h.log_config.options["path"] = pod.config.log_directory() + "/" + config.log_path();
  } else {
    h.log_config.driver = "none";
  }

  // Namespaces: the pod's by path, or the host's.
  if (pod.host_network()) {
    // A host-network pod has the host's UTS namespace too (the kubelet's expectation).
    h.network_mode.kind = model::NetworkMode::Kind::Host;
    h.uts_mode.kind = model::NamespaceMode::Kind::Host;
  } else {
    h.network_mode.kind = model::NetworkMode::Kind::Path;
    h.network_mode.target = pod.netns;
    h.uts_mode = path_mode(pod.utsns);
  }
  if (pod.host_ipc()) h.ipc_mode.kind = model::NamespaceMode::Kind::Host;
  else h.ipc_mode = path_mode(pod.ipcns);
  const auto& sc = config.linux().security_context();
  switch (sc.namespace_options().pid()) {
    case rt::NODE: h.pid_mode.kind = model::NamespaceMode::Kind::Host; break;
    case rt::CONTAINER: break;  // its own
    case rt::TARGET: {
      const std::string& target = sc.namespace_options().target_id();
      if (target.empty()) return invalid("CreateContainer: namespace mode TARGET needs namespace_options.target_id");
      int pid = TRY(sources.target_pid(target));
      h.pid_mode = path_mode("/proc/" + std::to_string(pid) + "/ns/pid");
      break;
    }
    default:  // POD (the default): the namespace berth-init holds for the pod, when it shares one
      // A pod without a shared PID namespace has no process of its own (no
      // pause): the container's namespace is then its own, as it would share
      // only with a pause process elsewhere.
      if (!pod.pidns.empty()) h.pid_mode = path_mode(pod.pidns);
  }
  h.cgroupns_mode = model::CgroupnsMode::Private;

  // The pod's cgroup, sysctls, /etc files and /dev/shm.
  h.resources.cgroup_parent = pod.config.linux().cgroup_parent().empty() ? sources.default_cgroup_parent
                                                                          : pod.config.linux().cgroup_parent();
  for (const auto& [k, v] : pod.config.linux().sysctls()) h.sysctls[k] = v;
  std::set<std::string> given;
  for (const auto& m : config.mounts()) {
    if (m.host_path().empty())
      return invalid("CreateContainer: mount at " + m.container_path() +
                     ": image volumes and mounts without a host_path are not supported by berth");
    if (m.container_path().empty() || m.container_path()[0] != '/')
      return invalid("CreateContainer: mount container_path \"" + m.container_path() + "\" is not an absolute path");
    if (!m.uidmappings().empty() || !m.gidmappings().empty())
      return invalid("CreateContainer: mount at " + m.container_path() + ": id-mapped mounts are not supported by berth");
    model::MountSpec ms;
    ms.type = model::MountType::Bind;
    ms.source = m.host_path();
    ms.target = m.container_path();
    ms.read_only = m.readonly();
    ms.bind_propagation = propagation_of(m.propagation());
    h.mounts.push_back(std::move(ms));
    given.insert(m.container_path());
  }
  auto bind_pod_file = [&](const std::string& source, const std::string& target, bool ro) {
    if (source.empty() || given.count(target)) return;  // the kubelet's own mount wins
    model::MountSpec ms;
    ms.type = model::MountType::Bind;
    ms.source = source;
    ms.target = target;
    ms.read_only = ro;
    ms.bind_propagation = model::Propagation::RPrivate;
    h.mounts.push_back(std::move(ms));
  };
  bind_pod_file(pod.hostname_path(), "/etc/hostname", sc.readonly_rootfs());
  bind_pod_file(pod.hosts_path(), "/etc/hosts", sc.readonly_rootfs());
  bind_pod_file(pod.resolv_conf_path(), "/etc/resolv.conf", sc.readonly_rootfs());
  bind_pod_file(pod.shm, "/dev/shm", false);

  for (const auto& d : config.devices())
    h.devices.push_back({d.host_path(), d.container_path(), d.permissions().empty() ? "rwm" : d.permissions()});

  TRYV(map_resources(config.linux().resources(), s));
  TRYV(map_security(sc, sources, s));
  return out;
}

}  // namespace berth::cri
