#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "docker_json.h"
#include "spec/runtime_spec.h"
#include "specgen/specgen.h"
#include "temp_root.h"

namespace berth::specgen {
namespace {

using nlohmann::json;
using testing::TempRoot;
using testing::host_of;
using testing::must_config;
using testing::must_host;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr uint64_t kHostCaps = 0x1fffeffffffull;  // this VM: no CAP_SYS_RESOURCE

class BuildSpec : public ::testing::Test {
 protected:
  BuildSpec() { root_.write_default_users(); }

  SpecInput input(json host_config = json::object(), json config = json::object()) const {
    SpecInput in;
    if (!config.contains("Cmd")) config["Cmd"] = {"sh"};
    in.config = must_config(config);
    in.host_config = must_host(host_config);
    in.id = kId;
    in.rootfs = root_.rootfs();
    in.hostname_path = "/run/x/hostname";
    in.hosts_path = "/run/x/hosts";
    in.resolv_conf_path = "/run/x/resolv.conf";
    in.init_path = "/usr/libexec/berth-init";
    in.host.cap_bounding = kHostCaps;
    in.host.ncpus = 2;
    in.host.hostname = "the-host";
    in.host.kernel = "6.1.0";
    in.host.devices = {{"/dev/sda", 'b', 8, 0, 0660, 0, 6}, {"/dev/kvm", 'c', 10, 232, 0660, 0, 108}};
    return in;
  }

  // Builds, and checks that the runtime's parser accepts the result.
  json build(const SpecInput& in) const {
    auto spec = build_spec(in);
    EXPECT_TRUE(spec) << spec.error().str();
    if (!spec) return json::object();
    auto parsed = spec::parse_spec(spec->dump());
    EXPECT_TRUE(parsed) << parsed.error().str() << "\n" << spec->dump(2);
    return *spec;
  }

  TempRoot root_;
};

std::vector<std::string> ns_types(const json& spec) {
  std::vector<std::string> out;
  for (const auto& n : spec["linux"]["namespaces"]) out.push_back(n["type"]);
  return out;
}

const json* find_mount(const json& spec, const std::string& dest) {
  for (const auto& m : spec["mounts"])
    if (m["destination"] == dest) return &m;
  return nullptr;
}

bool has(const json& list, const json& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

TEST_F(BuildSpec, DockerDefaults) {
  json s = build(input());
  EXPECT_EQ(s["root"], json({{"path", root_.rootfs()}, {"readonly", false}}));
  EXPECT_EQ(s["hostname"], kId.substr(0, 12));
  EXPECT_EQ(ns_types(s), (std::vector<std::string>{"pid", "ipc", "uts", "mount", "network"}));
  EXPECT_EQ(s["linux"]["cgroupsPath"], "/berth/" + kId);

  const json& p = s["process"];
  EXPECT_EQ(p["args"], json({"sh"}));
  EXPECT_EQ(p["cwd"], "/");
  EXPECT_EQ(p["terminal"], false);
  EXPECT_EQ(p["user"], json({{"uid", 0}, {"gid", 0}, {"additionalGids", {10, 44}}}));
  EXPECT_EQ(p["env"], json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                            "HOSTNAME=" + kId.substr(0, 12), "HOME=/root"}));
  EXPECT_EQ(p["noNewPrivileges"], false);
  EXPECT_EQ(p["oomScoreAdj"], 0);
  EXPECT_FALSE(p.contains("rlimits"));
  const json caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                     "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  EXPECT_EQ(p["capabilities"], json({{"bounding", caps}, {"effective", caps}, {"permitted", caps}}));

  std::vector<std::string> dests;
  for (const auto& m : s["mounts"]) dests.push_back(m["destination"]);
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup",
                                             "/dev/mqueue", "/dev/shm", "/etc/hostname", "/etc/hosts",
                                             "/etc/resolv.conf"}));
  EXPECT_EQ(*find_mount(s, "/dev"), json({{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                                          {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}}));
  EXPECT_EQ((*find_mount(s, "/dev/pts"))["options"],
            json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  EXPECT_EQ((*find_mount(s, "/sys"))["options"], json({"nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ((*find_mount(s, "/sys/fs/cgroup"))["type"], "cgroup");
  EXPECT_TRUE(has((*find_mount(s, "/sys/fs/cgroup"))["options"], "ro"));
  EXPECT_EQ((*find_mount(s, "/dev/shm"))["options"],
            json({"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}));
  EXPECT_EQ(*find_mount(s, "/etc/hosts"), json({{"destination", "/etc/hosts"}, {"type", "bind"},
                                                {"source", "/run/x/hosts"}, {"options", {"rbind", "rprivate"}}}));

  const json& lx = s["linux"];
  for (const char* m : {"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                        "/sys/firmware", "/sys/devices/virtual/powercap"})
    EXPECT_TRUE(has(lx["maskedPaths"], m)) << m;
  EXPECT_EQ(lx["readonlyPaths"], json({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
  const json& dev = lx["resources"]["devices"];
  EXPECT_EQ(dev[0], json({{"allow", false}, {"access", "rwm"}}));
  EXPECT_TRUE(has(dev, json({{"allow", true}, {"type", "c"}, {"access", "m"}})));
  EXPECT_TRUE(has(dev, json({{"allow", true}, {"type", "b"}, {"access", "m"}})));
  for (auto [ma, mi] : std::vector<std::pair<int, int>>{{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}})
    EXPECT_TRUE(has(dev, json({{"allow", true}, {"type", "c"}, {"major", ma}, {"minor", mi}, {"access", "rwm"}})))
        << ma << ":" << mi;
  EXPECT_TRUE(has(dev, json({{"allow", true}, {"type", "c"}, {"major", 136}, {"access", "rwm"}})));
  EXPECT_FALSE(lx.contains("devices"));
  ASSERT_TRUE(lx.contains("seccomp"));
  EXPECT_EQ(lx["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_FALSE(lx["resources"].contains("memory"));
  EXPECT_FALSE(lx["resources"].contains("pids"));
}

TEST_F(BuildSpec, CgroupNamespaceFollowsTheHostsCgroupVersion) {
  auto in = input();
  in.host.cgroup2 = true;
  EXPECT_TRUE(has(json(ns_types(build(in))), "cgroup"));
  EXPECT_TRUE(has(json(ns_types(build(input({{"CgroupnsMode", "private"}})))), "cgroup"));
  in = input({{"CgroupnsMode", "host"}});
  in.host.cgroup2 = true;
  EXPECT_FALSE(has(json(ns_types(build(in))), "cgroup"));
}

struct FieldCase {
  const char* name;
  json host_config;
  std::function<void(const json&)> check;
};

TEST_F(BuildSpec, HostConfigFields) {
  const FieldCase cases[] = {
      {"Memory", {{"Memory", 104857600}},
       [](const json& s) {
         EXPECT_EQ(s["linux"]["resources"]["memory"], json({{"limit", 104857600}, {"swap", 209715200}}));
       }},
      {"MemorySwap -1", {{"Memory", 104857600}, {"MemorySwap", -1}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["memory"]["swap"], -1); }},
      {"MemorySwap", {{"Memory", 104857600}, {"MemorySwap", 157286400}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["memory"]["swap"], 157286400); }},
      {"MemoryReservation", {{"MemoryReservation", 8388608}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["memory"], json({{"reservation", 8388608}})); }},
      {"MemorySwappiness", {{"MemorySwappiness", 10}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["memory"]["swappiness"], 10); }},
      {"MemorySwappiness -1 is unset", {{"MemorySwappiness", -1}},
       [](const json& s) { EXPECT_FALSE(s["linux"]["resources"].contains("memory")); }},
      {"OomKillDisable", {{"OomKillDisable", true}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["memory"]["disableOOMKiller"], true); }},
      {"NanoCpus", {{"NanoCpus", 1500000000}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["cpu"], json({{"period", 100000}, {"quota", 150000}})); }},
      {"CpuQuota/CpuPeriod", {{"CpuQuota", 50000}, {"CpuPeriod", 200000}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["cpu"], json({{"period", 200000}, {"quota", 50000}})); }},
      {"CpuShares", {{"CpuShares", 512}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["cpu"]["shares"], 512); }},
      {"CpuShares clamped", {{"CpuShares", 1}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["cpu"]["shares"], 2); }},
      {"Cpuset", {{"CpusetCpus", "0-1"}, {"CpusetMems", "0"}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["cpu"], json({{"cpus", "0-1"}, {"mems", "0"}})); }},
      {"PidsLimit", {{"PidsLimit", 100}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["pids"], json({{"limit", 100}})); }},
      {"PidsLimit -1", {{"PidsLimit", -1}},
       [](const json& s) { EXPECT_FALSE(s["linux"]["resources"].contains("pids")); }},
      {"BlkioWeight", {{"BlkioWeight", 300}},
       [](const json& s) { EXPECT_EQ(s["linux"]["resources"]["blockIO"], json({{"weight", 300}})); }},
      {"OomScoreAdj", {{"OomScoreAdj", 500}},
       [](const json& s) { EXPECT_EQ(s["process"]["oomScoreAdj"], 500); }},
      {"ReadonlyRootfs", {{"ReadonlyRootfs", true}},
       [](const json& s) {
         EXPECT_EQ(s["root"]["readonly"], true);
         EXPECT_TRUE(has((*find_mount(s, "/etc/resolv.conf"))["options"], "ro"));
       }},
      {"Ulimits", {{"Ulimits", {{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}}, {{"Name", "core"}, {"Soft", -1}, {"Hard", -1}}}}},
       [](const json& s) {
         EXPECT_EQ(s["process"]["rlimits"][0], json({{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 2048}}));
         EXPECT_EQ(s["process"]["rlimits"][1]["hard"], UINT64_MAX);
       }},
      {"Sysctls", {{"Sysctls", {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1000000"}}}},
       [](const json& s) {
         EXPECT_EQ(s["linux"]["sysctl"], json({{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1000000"}}));
       }},
      {"no-new-privileges", {{"SecurityOpt", {"no-new-privileges"}}},
       [](const json& s) { EXPECT_EQ(s["process"]["noNewPrivileges"], true); }},
      {"no-new-privileges:true", {{"SecurityOpt", {"no-new-privileges:true"}}},
       [](const json& s) { EXPECT_EQ(s["process"]["noNewPrivileges"], true); }},
      {"no-new-privileges=false", {{"SecurityOpt", {"no-new-privileges=false"}}},
       [](const json& s) { EXPECT_EQ(s["process"]["noNewPrivileges"], false); }},
      {"seccomp=unconfined", {{"SecurityOpt", {"seccomp=unconfined"}}},
       [](const json& s) { EXPECT_FALSE(s["linux"].contains("seccomp")); }},
      {"seccomp profile text",
       {{"SecurityOpt", {R"(seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]})"}}},
       [](const json& s) {
         EXPECT_EQ(s["linux"]["seccomp"], json({{"defaultAction", "SCMP_ACT_ALLOW"},
                                                {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}}}}}));
       }},
      {"ShmSize", {{"ShmSize", 1048576}},
       [](const json& s) { EXPECT_TRUE(has((*find_mount(s, "/dev/shm"))["options"], "size=1048576")); }},
      {"IpcMode none", {{"IpcMode", "none"}},
       [](const json& s) { EXPECT_EQ(find_mount(s, "/dev/shm"), nullptr); }},
      {"IpcMode host", {{"IpcMode", "host"}},
       [](const json& s) {
         EXPECT_FALSE(has(json(ns_types(s)), "ipc"));
         EXPECT_EQ((*find_mount(s, "/dev/shm"))["source"], "/dev/shm");
       }},
      {"IpcMode shareable", {{"IpcMode", "shareable"}},
       [](const json& s) { EXPECT_TRUE(has(json(ns_types(s)), "ipc")); }},
      {"PidMode host", {{"PidMode", "host"}},
       [](const json& s) { EXPECT_FALSE(has(json(ns_types(s)), "pid")); }},
      {"UTSMode host", {{"UTSMode", "host"}},
       [](const json& s) {
         EXPECT_FALSE(has(json(ns_types(s)), "uts"));
         EXPECT_FALSE(s.contains("hostname"));
       }},
      {"Tmpfs", {{"Tmpfs", {{"/run", "rw,size=64m,exec"}, {"/tmp", ""}}}},
       [](const json& s) {
         EXPECT_EQ(*find_mount(s, "/run"), json({{"destination", "/run"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                                                 {"options", {"nosuid", "nodev", "rw", "size=64m", "exec"}}}));
         EXPECT_EQ((*find_mount(s, "/tmp"))["options"], json({"noexec", "nosuid", "nodev"}));
       }},
      {"Tmpfs over /dev/shm replaces the default", {{"Tmpfs", {{"/dev/shm", "size=1m"}}}},
       [](const json& s) {
         int n = 0;
         for (const auto& m : s["mounts"]) n += m["destination"] == "/dev/shm";
         EXPECT_EQ(n, 1);
         EXPECT_TRUE(has((*find_mount(s, "/dev/shm"))["options"], "size=1m"));
       }},
      {"Init", {{"Init", true}},
       [](const json& s) {
         EXPECT_EQ(s["process"]["args"], json({"/sbin/docker-init", "--", "sh"}));
         EXPECT_EQ(*find_mount(s, "/sbin/docker-init"),
                   json({{"destination", "/sbin/docker-init"}, {"type", "bind"},
                         {"source", "/usr/libexec/berth-init"}, {"options", {"bind", "ro"}}}));
       }},
      {"CgroupParent", {{"CgroupParent", "custom/sub/"}},
       [](const json& s) { EXPECT_EQ(s["linux"]["cgroupsPath"], "/custom/sub/" + kId); }},
      {"MaskedPaths/ReadonlyPaths", {{"MaskedPaths", {"/proc/x"}}, {"ReadonlyPaths", json::array()}},
       [](const json& s) {
         EXPECT_EQ(s["linux"]["maskedPaths"], json({"/proc/x"}));
         EXPECT_EQ(s["linux"]["readonlyPaths"], json::array());
       }},
      {"ConsoleSize", {{"ConsoleSize", {24, 80}}},
       [](const json& s) { EXPECT_EQ(s["process"]["consoleSize"], json({{"height", 24}, {"width", 80}})); }},
      {"GroupAdd", {{"GroupAdd", {"staff", "1234"}}},
       [](const json& s) { EXPECT_EQ(s["process"]["user"]["additionalGids"], json({10, 44, 50, 1234})); }},
      {"null fields", {{"CapAdd", nullptr}, {"Tmpfs", nullptr}, {"Ulimits", nullptr}, {"Memory", nullptr}},
       [](const json& s) { EXPECT_EQ(s["process"]["capabilities"]["bounding"].size(), 14u); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    model::ContainerSpec spec;
    spec.host = must_host(c.host_config);
    ASSERT_TRUE(validate(spec, input().host)) << c.host_config.dump();
    c.check(build(input(c.host_config)));
  }
}

TEST_F(BuildSpec, Capabilities) {
  json s = build(input({{"CapAdd", {"SYS_ADMIN", "cap_net_admin"}}, {"CapDrop", {"CAP_CHOWN", "mknod"}}}));
  const json& b = s["process"]["capabilities"]["bounding"];
  EXPECT_TRUE(has(b, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(has(b, "CAP_NET_ADMIN"));
  EXPECT_FALSE(has(b, "CAP_CHOWN"));
  EXPECT_FALSE(has(b, "CAP_MKNOD"));
  EXPECT_EQ(b.size(), 14u);
  // CAP_SYS_ADMIN unlocks mount in the seccomp profile.
  bool mount_allowed = false;
  for (const auto& r : s["linux"]["seccomp"]["syscalls"]) mount_allowed |= has(r["names"], "mount");
  EXPECT_TRUE(mount_allowed);

  s = build(input({{"CapAdd", {"ALL"}}, {"CapDrop", {"MKNOD"}}}));
  const json& all = s["process"]["capabilities"]["bounding"];
  EXPECT_EQ(all.size(), 39u);  // 41 known, minus SYS_RESOURCE (not on this host) and MKNOD
  EXPECT_FALSE(has(all, "CAP_SYS_RESOURCE"));

  s = build(input({{"CapDrop", {"ALL"}}, {"CapAdd", {"CHOWN"}}}));
  EXPECT_EQ(s["process"]["capabilities"]["effective"], json({"CAP_CHOWN"}));
}

TEST_F(BuildSpec, Privileged) {
  json s = build(input({{"Privileged", true}}));
  const json& caps = s["process"]["capabilities"]["bounding"];
  EXPECT_EQ(caps.size(), 40u);
  EXPECT_FALSE(has(caps, "CAP_SYS_RESOURCE"));
  EXPECT_TRUE(has(caps, "CAP_SYS_ADMIN"));
  EXPECT_FALSE(s["linux"].contains("seccomp"));
  EXPECT_FALSE(s["linux"].contains("maskedPaths"));
  EXPECT_FALSE(s["linux"].contains("readonlyPaths"));
  EXPECT_EQ(s["linux"]["resources"]["devices"], json({{{"allow", true}, {"type", "a"}, {"access", "rwm"}}}));
  EXPECT_EQ(s["linux"]["devices"][0], json({{"path", "/dev/sda"}, {"type", "b"}, {"major", 8}, {"minor", 0},
                                            {"fileMode", 0660}, {"uid", 0}, {"gid", 6}}));
  EXPECT_FALSE(has((*find_mount(s, "/sys"))["options"], "ro"));
  EXPECT_FALSE(has((*find_mount(s, "/sys/fs/cgroup"))["options"], "ro"));
}

TEST_F(BuildSpec, ConfigFields) {
  json s = build(input(json::object(), {{"Cmd", {"id"}}, {"Entrypoint", {"/bin/env"}}, {"Tty", true},
                                        {"User", "app"}, {"WorkingDir", "/srv"}, {"Hostname", "web"},
                                        {"Domainname", "example.com"}, {"Env", {"A=1", "HOME=/custom"}}}));
  EXPECT_EQ(s["process"]["args"], json({"/bin/env", "id"}));
  EXPECT_EQ(s["process"]["terminal"], true);
  EXPECT_EQ(s["process"]["user"], json({{"uid", 1000}, {"gid", 1000}, {"additionalGids", {29, 44}}}));
  EXPECT_EQ(s["process"]["cwd"], "/srv");
  EXPECT_EQ(s["hostname"], "web");
  EXPECT_EQ(s["domainname"], "example.com");
  EXPECT_EQ(s["process"]["env"], json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                       "HOSTNAME=web", "TERM=xterm", "A=1", "HOME=/custom"}));
}

TEST_F(BuildSpec, NetworkAndJoinedNamespaces) {
  auto in = input();
  in.netns_mode = "host";
  json s = build(in);
  EXPECT_FALSE(has(json(ns_types(s)), "network"));
  EXPECT_EQ(s["hostname"], "the-host");

  in = input();
  in.netns_mode = "/run/netns/x";
  in.join_namespaces = {{"ipc", "/proc/42/ns/ipc"}, {"pid", "/proc/42/ns/pid"}};
  s = build(in);
  std::map<std::string, std::string> paths;
  for (const auto& n : s["linux"]["namespaces"]) paths[n["type"]] = n.value("path", "");
  EXPECT_EQ(paths["network"], "/run/netns/x");
  EXPECT_EQ(paths["ipc"], "/proc/42/ns/ipc");
  EXPECT_EQ(paths["pid"], "/proc/42/ns/pid");
  EXPECT_EQ(paths["uts"], "");

  in = input();
  in.extra_mounts = {{"/var/lib/vol", "/data", "bind", {"rbind", "ro"}},
                     {"/host/hosts", "/etc/hosts", "bind", {"rbind"}}};
  s = build(in);
  EXPECT_EQ((*find_mount(s, "/data"))["source"], "/var/lib/vol");
  EXPECT_EQ((*find_mount(s, "/etc/hosts"))["source"], "/host/hosts");
}

TEST_F(BuildSpec, HugepageLimitsAndUnifiedFromTheCri) {
  auto in = input();
  in.host_config.resources.hugepage_limits = {{"2MB", 8 << 20}, {"1GB", 0}};
  in.host_config.resources.unified = {{"memory.high", "48M"}};
  json s = build(in);
  EXPECT_EQ(s["linux"]["resources"]["hugepageLimits"],
            json::parse(R"([{"pageSize":"1GB","limit":0},{"pageSize":"2MB","limit":8388608}])"));
  EXPECT_EQ(s["linux"]["resources"]["unified"], json({{"memory.high", "48M"}}));

  in = input();
  in.host_config.resources.hugepage_limits = {{"2 MB", 1}};
  auto bad = build_spec(in);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("page size \"2 MB\""), std::string::npos) << bad.error().message;
  in = input();
  in.host_config.resources.unified = {{"../cgroup.procs", "1"}};
  bad = build_spec(in);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a cgroup v2 file name"), std::string::npos) << bad.error().message;
}

struct ErrorCase {
  json host_config;
  std::string message;
};

TEST_F(BuildSpec, HostConfigErrors) {
  const ErrorCase cases[] = {
      {{{"Memory", 1000}}, "Minimum memory limit allowed is 6MB"},
      {{{"Memory", 104857600}, {"MemorySwap", 1048576000 / 100}},
       "Minimum memoryswap limit should be larger than memory limit, see usage"},
      {{{"MemorySwap", 104857600}}, "You should always set the Memory limit when using Memoryswap limit, see usage"},
      {{{"MemoryReservation", 1024}}, "Minimum memory reservation allowed is 6MB"},
      {{{"Memory", 10485760}, {"MemoryReservation", 20971520}},
       "Minimum memory limit can not be less than memory reservation limit, see usage"},
      {{{"MemorySwappiness", 200}}, "Invalid value: 200, valid memory swappiness range is 0-100"},
      {{{"NanoCpus", 3000000000}}, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
      {{{"NanoCpus", 1000000000}, {"CpuPeriod", 100000}},
       "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
      {{{"NanoCpus", 1000000000}, {"CpuQuota", 100000}},
       "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
      {{{"CpuPeriod", 500}}, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
      {{{"CpuQuota", 500}}, "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
      {{{"CpusetCpus", "0-x"}}, "Invalid value 0-x for cpuset cpus"},
      {{{"BlkioWeight", 5}}, "Range of blkio weight is from 10 to 1000"},
      {{{"OomScoreAdj", 2000}}, "Invalid value 2000, range for oom score adj is [-1000, 1000]"},
      {{{"ShmSize", -1}}, "SHM size can not be less than 0"},
      {{{"CapAdd", {"FOO"}}}, "unknown capability: \"CAP_FOO\""},
      {{{"CapDrop", {"cap_bar"}}}, "unknown capability: \"CAP_BAR\""},
      {{{"CapAdd", {"SYS_RESOURCE"}}}, "capability CAP_SYS_RESOURCE cannot be granted: this host's bounding set lacks it"},
      {{{"SecurityOpt", {"bogus=1"}}}, "invalid --security-opt 2: \"bogus=1\""},
      {{{"SecurityOpt", {"bogus"}}}, "Invalid --security-opt: \"bogus\""},
      {{{"SecurityOpt", {"no-new-privileges=maybe"}}}, "invalid --security-opt 2: \"no-new-privileges=maybe\""},
      {{{"SecurityOpt", {"seccomp={not json"}}}, "Decoding seccomp profile failed: the profile is not a JSON object"},
      {{{"SecurityOpt", {R"(seccomp={"syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW"}]})"}}},
       "seccomp profile: defaultAction is required"},
      {{{"SecurityOpt", {"apparmor=docker-default"}}},
       "--security-opt apparmor=docker-default: apparmor is not supported by this daemon (only apparmor=unconfined)"},
      {{{"Ulimits", {{{"Name", "nofiles"}, {"Soft", 1}, {"Hard", 1}}}}}, "invalid ulimit type: nofiles"},
      {{{"Ulimits", {{{"Name", "nofile"}, {"Soft", 10}, {"Hard", 1}}}}},
       "ulimit soft limit must be less than or equal to hard limit: 10 > 1"},
      {{{"Sysctls", {{"kernel.panic", "1"}}}}, "sysctl \"kernel.panic\" is not allowed: it is not namespaced"},
      {{{"NetworkMode", "host"}, {"Sysctls", {{"net.core.somaxconn", "1"}}}},
       "sysctl \"net.core.somaxconn\" is not allowed in host network namespace"},
      {{{"IpcMode", "weird"}}, "invalid IPC mode: weird"},
      {{{"PidMode", "nope"}}, "invalid PID mode: nope"},
      {{{"UTSMode", "container:x"}}, "invalid UTS mode: container:x"},
      {{{"CgroupnsMode", "shared"}}, "invalid cgroup namespace mode: shared"},
      {{{"Tmpfs", {{"run", ""}}}}, "invalid mount path for tmpfs: run (must be absolute)"},
      {{{"Tmpfs", {{"/run", "size=1m,bogus"}}}}, "invalid tmpfs option \"bogus\" for /run"},
      {{{"Privileged", "yes"}}, "json: cannot unmarshal string into Go struct field HostConfig.Privileged of type bool"},
      {{{"Memory", "1g"}}, "json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.host_config.dump());
    // A wrong type or an unknown mode word is the API edge's to refuse; the
    // rest is the engine's check for every front end.
    auto host = host_of(c.host_config);
    if (!host) {
      EXPECT_EQ(host.error().code, Errc::InvalidArgument);
      EXPECT_EQ(host.error().message, c.message);
      continue;
    }
    model::ContainerSpec spec;
    spec.host = *host;
    auto v = validate(spec, input().host);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, Errc::InvalidArgument);
    EXPECT_EQ(v.error().message, c.message);
    auto s = build_spec(input(c.host_config));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, c.message);
  }
}

TEST_F(BuildSpec, OtherErrors) {
  auto s = build_spec(input(json::object(), {{"Cmd", json::array()}}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "No command specified");

  s = build_spec(input(json::object(), {{"User", "ghost"}}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::NotFound);
  EXPECT_EQ(s.error().message, "unable to find user ghost: no matching entries in passwd file");

  s = build_spec(input({{"UTSMode", "host"}}, {{"Hostname", "x"}}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "Conflicting options: hostname and the UTS mode");

  s = build_spec(input({{"IpcMode", "container:abc"}}));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("ipc mode container:abc"), std::string::npos) << s.error().message;

  auto in = input({{"Init", true}});
  in.init_path.clear();
  s = build_spec(in);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "HostConfig.Init: no init binary is configured for this daemon");
}

TEST(ProbeHost, ReadsThisHost) {
  auto h = probe_host();
  ASSERT_TRUE(h) << h.error().str();
  EXPECT_NE(h->cap_bounding, 0u);
  EXPECT_GE(h->ncpus, 1);
  EXPECT_FALSE(h->kernel.empty());
  EXPECT_FALSE(h->hostname.empty());
  bool has_null = false;
  for (const auto& d : h->devices) has_null |= d.path == "/dev/null" && d.major == 1 && d.minor == 3;
  EXPECT_TRUE(has_null);
}

// A rootless daemon without a delegated cgroup tree: the first limit a
// container asks for is refused with the daemon's reason; none is fine.
TEST_F(BuildSpec, RootlessWithoutCgroupsRefusesLimits) {
  const std::string why = "berthd runs rootless on a cgroup v1 host";
  struct Case {
    json host_config;
    std::string flag;
  };
  for (const auto& c : std::vector<Case>{{{{"Memory", 64 << 20}}, "--memory"},
                                        {{{"NanoCpus", 500000000}}, "--cpus"},
                                        {{{"PidsLimit", 10}}, "--pids-limit"},
                                        {{{"CpusetCpus", "0"}}, "--cpuset-cpus"},
                                        {{{"MemorySwappiness", 10}}, "--memory-swappiness"}}) {
    SCOPED_TRACE(c.host_config.dump());
    auto host = host_of(c.host_config);
    ASSERT_TRUE(host);
    model::ContainerSpec spec;
    spec.host = *host;
    SpecInput in = input(c.host_config);
    in.host.limits_unavailable = why;
    auto v = validate(spec, in.host);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, Errc::InvalidArgument);
    EXPECT_EQ(v.error().message, c.flag + " cannot be applied: " + why);
  }
  // The CLI's defaults (swappiness -1, pids-limit 0) are no limits.
  auto host = host_of({{"MemorySwappiness", -1}, {"PidsLimit", 0}});
  ASSERT_TRUE(host);
  model::ContainerSpec spec;
  spec.host = *host;
  SpecInput in = input();
  in.host.limits_unavailable = why;
  EXPECT_TRUE(validate(spec, in.host));
}

// Rootless with a delegated cgroup v2 tree: containers' cgroups are relative,
// under the daemon's own.
TEST_F(BuildSpec, RootlessDelegatedCgroupsAreRelative) {
  SpecInput in = input();
  in.host.cgroups_under_daemon = true;
  json s = build(in);
  EXPECT_EQ(s["linux"]["cgroupsPath"], "berth/" + kId);
}

}  // namespace
}  // namespace berth::specgen
