// spec_from_cri: the CRI's ContainerConfig to the engine's ContainerSpec.
#include <gtest/gtest.h>

#include "cri/containers/cri_labels.h"
#include "cri/containers/spec_from_cri.h"

namespace berth::cri {
namespace {

namespace rt = runtime::v1;

PodSandbox pod() {
  PodSandbox p;
  p.id = std::string(64, 'a');
  p.config.mutable_metadata()->set_name("web");
  p.config.mutable_metadata()->set_uid("u1");
  p.config.mutable_metadata()->set_namespace_("prod");
  p.config.set_hostname("web-0");
  p.config.set_log_directory("/var/log/pods/x");
  (*p.config.mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "0";
  p.dir = "/run/pods/a";
  p.netns = "/run/pods/a/net";
  p.ipcns = "/run/pods/a/ipc";
  p.utsns = "/run/pods/a/uts";
  p.shm = "/run/pods/a/shm";
  p.pidns = "/run/pods/a/pid";
  return p;
}

SpecSources sources() {
  SpecSources s;
  s.read_file = [](const std::string& path) -> Result<std::string> {
    if (path == "/profiles/audit.json") return std::string(R"({"defaultAction":"SCMP_ACT_LOG"})");
    return fail(Errc::NotFound, "no file " + path);
  };
  s.target_pid = [](const std::string& id) -> Result<int> {
    if (id == "running") return 4321;
    return fail(Errc::NotFound, "no container " + id);
  };
  return s;
}

rt::ContainerConfig config() {
  rt::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  c.mutable_metadata()->set_attempt(2);
  c.mutable_image()->set_image("busybox:1");
  return c;
}

TEST(SpecFromCri, NamesCommandEnvAndLogs) {
  auto c = config();
  c.add_command("/bin/server");
  c.add_envs()->set_key("A");
  c.mutable_envs(0)->set_value("1");
  c.set_working_dir("/srv");
  c.set_tty(true);
  c.set_stdin(true);
  c.set_stdin_once(true);
  c.set_log_path("app/2.log");
  auto s = spec_from_cri(c, pod(), sources());
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->name, "k8s_app_web_prod_u1_2");
  EXPECT_EQ(s->spec.ns, "k8s.io");
  EXPECT_EQ(s->spec.config.entrypoint, std::vector<std::string>{"/bin/server"});
  EXPECT_FALSE(s->spec.config.cmd) << "command alone drops the image's cmd (merge_config)";
  EXPECT_EQ(s->spec.config.env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(s->spec.config.working_dir, "/srv");
  EXPECT_TRUE(s->spec.config.tty && s->spec.config.open_stdin && s->spec.config.stdin_once);
  EXPECT_EQ(s->spec.config.hostname, "web-0");
  EXPECT_EQ(s->spec.host.log_config.driver, "cri");
  EXPECT_EQ(s->spec.host.log_config.options.at("path"), "/var/log/pods/x/app/2.log");
  EXPECT_EQ(s->spec.config.labels.at(kSandboxIdLabel), std::string(64, 'a'));
  EXPECT_EQ(s->spec.config.labels.at(kAttemptLabel), "2");
  EXPECT_EQ(s->spec.host.sysctls.at("net.ipv4.ip_unprivileged_port_start"), "0");
  EXPECT_EQ(s->spec.host.resources.cgroup_parent, "berth") << "the daemon's when the pod has none";

  c.clear_log_path();
  EXPECT_EQ(spec_from_cri(c, pod(), sources())->spec.host.log_config.driver, "none");
}

TEST(SpecFromCri, NamespacesByPathOrTheHosts) {
  auto s = spec_from_cri(config(), pod(), sources());
  ASSERT_TRUE(s);
  const auto& h = s->spec.host;
  EXPECT_EQ(h.network_mode.str(), "ns:/run/pods/a/net");
  EXPECT_EQ(h.ipc_mode.str(), "ns:/run/pods/a/ipc");
  EXPECT_EQ(h.uts_mode.str(), "ns:/run/pods/a/uts");
  EXPECT_EQ(h.pid_mode.str(), "ns:/run/pods/a/pid") << "POD, the default: the pod's";

  auto c = config();
  auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(rt::CONTAINER);
  EXPECT_EQ(spec_from_cri(c, pod(), sources())->spec.host.pid_mode.str(), "");
  ns->set_pid(rt::TARGET);
  ns->set_target_id("running");
  EXPECT_EQ(spec_from_cri(c, pod(), sources())->spec.host.pid_mode.str(), "ns:/proc/4321/ns/pid");
  ns->set_target_id("gone");
  EXPECT_EQ(spec_from_cri(c, pod(), sources()).error().code, Errc::NotFound);
  ns->set_pid(rt::NODE);
  EXPECT_TRUE(spec_from_cri(c, pod(), sources())->spec.host.pid_mode.is_host());
  ns->set_pid(rt::POD);
  auto unshared = pod();
  unshared.pidns.clear();
  EXPECT_EQ(spec_from_cri(c, unshared, sources())->spec.host.pid_mode.str(), "")
      << "no shared namespace in the pod: its own";

  auto host = pod();
  auto* pns = host.config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  pns->set_network(rt::NODE);
  pns->set_ipc(rt::NODE);
  host.netns = host.ipcns = host.utsns = host.shm = "";
  pns->set_pid(rt::CONTAINER);
  s = spec_from_cri(config(), host, sources());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->spec.host.network_mode.kind, model::NetworkMode::Kind::Host);
  EXPECT_TRUE(s->spec.host.ipc_mode.is_host());
  EXPECT_TRUE(s->spec.host.uts_mode.is_host());
}

TEST(SpecFromCri, MountsWithPropagationAndThePodFiles) {
  auto c = config();
  auto* m = c.add_mounts();
  m->set_host_path("/data");
  m->set_container_path("/var/data");
  m->set_readonly(true);
  m->set_propagation(rt::PROPAGATION_HOST_TO_CONTAINER);
  m = c.add_mounts();
  m->set_host_path("/kubelet/etc-hosts");
  m->set_container_path("/etc/hosts");
  m = c.add_mounts();
  m->set_host_path("/shared");
  m->set_container_path("/shared");
  m->set_propagation(rt::PROPAGATION_BIDIRECTIONAL);
  auto s = spec_from_cri(c, pod(), sources());
  ASSERT_TRUE(s);
  std::map<std::string, model::MountSpec> by_target;
  for (const auto& ms : s->spec.host.mounts) {
    EXPECT_EQ(by_target.count(ms.target), 0u) << "one mount per target: " << ms.target;
    by_target[ms.target] = ms;
  }
  EXPECT_TRUE(by_target["/var/data"].read_only);
  EXPECT_EQ(by_target["/var/data"].bind_propagation, model::Propagation::RSlave);
  EXPECT_EQ(by_target["/shared"].bind_propagation, model::Propagation::RShared);
  EXPECT_EQ(by_target["/etc/hosts"].source, "/kubelet/etc-hosts") << "the kubelet's own file wins";
  EXPECT_EQ(by_target["/etc/resolv.conf"].source, "/run/pods/a/resolv.conf");
  EXPECT_EQ(by_target["/etc/hostname"].source, "/run/pods/a/hostname");
  EXPECT_EQ(by_target["/dev/shm"].source, "/run/pods/a/shm");

  c = config();
  c.add_mounts()->set_container_path("/img");  // an image volume
  EXPECT_EQ(spec_from_cri(c, pod(), sources()).error().code, Errc::InvalidArgument);
}

TEST(SpecFromCri, Devices) {
  auto c = config();
  auto* d = c.add_devices();
  d->set_host_path("/dev/fuse");
  d->set_container_path("/dev/fuse");
  d->set_permissions("rw");
  d = c.add_devices();
  d->set_host_path("/dev/null");
  d->set_container_path("/dev/other-null");
  auto s = spec_from_cri(c, pod(), sources());
  ASSERT_TRUE(s) << s.error().str();
  ASSERT_EQ(s->spec.host.devices.size(), 2u);
  EXPECT_EQ(s->spec.host.devices[0], (model::DeviceMapping{"/dev/fuse", "/dev/fuse", "rw"}));
  EXPECT_EQ(s->spec.host.devices[1].cgroup_permissions, "rwm") << "none given: all";
}

TEST(SpecFromCri, ResourcesAndSecurity) {
  auto c = config();
  auto* r = c.mutable_linux()->mutable_resources();
  r->set_cpu_period(100000);
  r->set_cpu_quota(50000);
  r->set_cpu_shares(512);
  r->set_memory_limit_in_bytes(64 << 20);
  r->set_memory_swap_limit_in_bytes(128 << 20);
  r->set_oom_score_adj(900);
  r->set_cpuset_cpus("0");
  auto* sc = c.mutable_linux()->mutable_security_context();
  sc->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
  sc->mutable_capabilities()->add_drop_capabilities("ALL");
  sc->mutable_run_as_user()->set_value(1000);
  sc->mutable_run_as_group()->set_value(3000);
  sc->add_supplemental_groups(4000);
  sc->set_readonly_rootfs(true);
  sc->set_no_new_privs(true);
  sc->add_masked_paths("/proc/kcore");
  sc->mutable_seccomp()->set_profile_type(rt::SecurityProfile::RuntimeDefault);
  auto s = spec_from_cri(c, pod(), sources());
  ASSERT_TRUE(s) << s.error().str();
  const auto& h = s->spec.host;
  EXPECT_EQ(h.resources.cpu_period, 100000);
  EXPECT_EQ(h.resources.cpu_quota, 50000);
  EXPECT_EQ(h.resources.cpu_shares, 512);
  EXPECT_EQ(h.resources.memory, 64 << 20);
  EXPECT_EQ(h.resources.memory_swap, 128 << 20);
  EXPECT_EQ(h.resources.cpuset_cpus, "0");
  EXPECT_EQ(h.oom_score_adj, 900);
  EXPECT_EQ(h.cap_add, std::vector<std::string>{"CAP_NET_ADMIN"});
  EXPECT_EQ(h.cap_drop, std::vector<std::string>{"ALL"});
  EXPECT_EQ(s->spec.config.user, "1000:3000");
  EXPECT_EQ(h.group_add, std::vector<std::string>{"4000"});
  EXPECT_TRUE(h.readonly_rootfs);
  EXPECT_EQ(h.security_opt, std::vector<std::string>{"no-new-privileges"}) << "RuntimeDefault: berth's default";
  EXPECT_EQ(*h.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_TRUE(h.readonly_paths && h.readonly_paths->empty()) << "an empty list is none";

  sc->mutable_seccomp()->set_profile_type(rt::SecurityProfile::Unconfined);
  EXPECT_EQ(spec_from_cri(c, pod(), sources())->spec.host.security_opt.back(), "seccomp=unconfined");
  sc->mutable_seccomp()->set_profile_type(rt::SecurityProfile::Localhost);
  sc->mutable_seccomp()->set_localhost_ref("/profiles/audit.json");
  EXPECT_EQ(spec_from_cri(c, pod(), sources())->spec.host.security_opt.back(),
            R"(seccomp={"defaultAction":"SCMP_ACT_LOG"})");
  sc->mutable_seccomp()->set_localhost_ref("/profiles/none.json");
  auto missing = spec_from_cri(c, pod(), sources());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/profiles/none.json"), std::string::npos);

  sc->clear_seccomp();
  sc->set_run_as_username("nobody");
  EXPECT_EQ(spec_from_cri(c, pod(), sources())->spec.config.user, "nobody:3000");

  r->add_hugepage_limits()->set_page_size("2MB");
  r->mutable_hugepage_limits(0)->set_limit(1 << 21);
  auto hp = spec_from_cri(c, pod(), sources());
  ASSERT_TRUE(hp) << hp.error().str();
  EXPECT_EQ(hp->spec.host.resources.hugepage_limits, (std::map<std::string, int64_t>{{"2MB", 1 << 21}}));
}

TEST(ResourcesFromCri, HugepageLimitsAndUnifiedAreMappedAndTheRestKept) {
  // A kubelet lists every page size, with limit 0 for those the pod does not ask for.
  rt::LinuxContainerResources r;
  r.set_cpu_shares(512);
  r.set_memory_limit_in_bytes(64 << 20);
  auto* hp = r.add_hugepage_limits();
  hp->set_page_size("2MB");
  hp->set_limit(4 << 21);
  hp = r.add_hugepage_limits();
  hp->set_page_size("1GB");
  hp->set_limit(0);
  (*r.mutable_unified())["memory.high"] = "48M";
  model::Resources res;
  res.pids_limit = 100;  // not a CRI field: an update keeps it
  ASSERT_TRUE(resources_from_cri(r, res));
  EXPECT_EQ(res.cpu_shares, 512);
  EXPECT_EQ(res.memory, 64 << 20);
  EXPECT_EQ(res.pids_limit, 100);
  EXPECT_EQ(res.hugepage_limits, (std::map<std::string, int64_t>{{"1GB", 0}, {"2MB", 4 << 21}}));
  EXPECT_EQ(res.unified, (std::map<std::string, std::string>{{"memory.high", "48M"}}));
}

}  // namespace
}  // namespace berth::cri
