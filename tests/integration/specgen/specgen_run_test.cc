// Specs from build_spec, run by the real berth-runtime on the real kernel
// (root): Docker's defaults take effect and hold (capabilities, seccomp,
// masked and read-only paths), and HostConfig fields reach the container.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <fstream>

#include "../../unit/specgen/docker_json.h"
#include "specgen/specgen.h"
#include "support/bundle.h"

namespace berth::specgen {
namespace {

using nlohmann::json;
using berth::testing::CmdResult;
namespace fs = std::filesystem;

// Docker's 14 default capabilities as a mask.
constexpr const char kDefaultCapMask[] = "00000000a80425fb";

std::string field(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

std::string init_path() {
  if (const char* p = std::getenv("BERTH_INIT")) return p;
  // Next to berth-runtime in the build tree: cmd/berth-runtime/.. -> cmd/berth-init.
  return (fs::path(berth::testing::runtime_path()).parent_path().parent_path() / "berth-init" / "berth-init")
      .string();
}

class SpecgenRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run containers";
    char tmpl[] = "/tmp/berth-specgen-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    berth::testing::make_rootfs(dir_ + "/rootfs");
    std::ofstream(dir_ + "/hostname") << "specgen-test\n";
    std::ofstream(dir_ + "/hosts") << "127.0.0.1 localhost\n";
    std::ofstream(dir_ + "/resolv.conf") << "nameserver 192.0.2.1\n";
    auto host = probe_host();
    ASSERT_TRUE(host) << host.error().str();
    host_ = *host;
  }

  void TearDown() override {
    for (const auto& id : ids_) runtime({"delete", "--force", id});
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  SpecInput input(json host_config, json config) {
    static int n = 0;
    char id[65];
    std::snprintf(id, sizeof id, "5bec%08x%04x%048d", static_cast<unsigned>(::getpid()), n++, 0);
    SpecInput in;
    in.config = specgen::testing::must_config(config);
    in.host_config = specgen::testing::must_host(host_config);
    in.id = id;
    in.rootfs = dir_ + "/rootfs";
    in.hostname_path = dir_ + "/hostname";
    in.hosts_path = dir_ + "/hosts";
    in.resolv_conf_path = dir_ + "/resolv.conf";
    in.init_path = init_path();
    in.host = host_;
    return in;
  }

  CmdResult runtime(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {berth::testing::runtime_path(), "--root", dir_ + "/state"};
    argv.insert(argv.end(), args.begin(), args.end());
    return berth::testing::run_command(argv);
  }

  // build_spec + `berth-runtime run` in the foreground; stdout/stderr captured.
  CmdResult run(const SpecInput& in) {
    auto spec = build_spec(in);
    EXPECT_TRUE(spec) << spec.error().str();
    if (!spec) return {};
    std::string bundle = dir_ + "/bundle-" + in.id.substr(0, 16);
    fs::create_directories(bundle);
    std::ofstream(bundle + "/config.json") << spec->dump(2);
    ids_.push_back(in.id);
    return runtime({"run", "--bundle", bundle, in.id});
  }

  CmdResult run_sh(const std::string& script, json host_config = json::object(), json config = json::object()) {
    config["Cmd"] = {"sh", "-c", script};
    return run(input(std::move(host_config), std::move(config)));
  }

  std::string dir_;
  HostInfo host_;
  std::vector<std::string> ids_;
};

TEST_F(SpecgenRun, DefaultCapabilitiesSeccompAndIdentity) {
  auto r = run_sh("cat /proc/self/status; echo host=$(hostname); id; echo HOME=$HOME; echo PWD=$(pwd)");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(field(r.out, "CapBnd"), kDefaultCapMask);
  EXPECT_EQ(field(r.out, "CapEff"), kDefaultCapMask);
  EXPECT_EQ(field(r.out, "CapPrm"), kDefaultCapMask);
  EXPECT_EQ(field(r.out, "CapInh"), "0000000000000000");
  EXPECT_EQ(field(r.out, "CapAmb"), "0000000000000000");
  EXPECT_EQ(field(r.out, "Seccomp"), "2");
  EXPECT_EQ(field(r.out, "NoNewPrivs"), "0");
  EXPECT_NE(r.out.find("host=5bec"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("uid=0(root) gid=0(root)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HOME=/root"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PWD=/\n"), std::string::npos) << r.out;
}

// unshare(2) needs no capability for a user namespace, so only seccomp stops it.
TEST_F(SpecgenRun, SeccompBlocksUnshareWithEpermUnlessUnconfined) {
  auto r = run_sh("unshare -U true 2>&1; echo rc=$?");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("rc=0"), std::string::npos) << r.out;

  r = run_sh("unshare -U true 2>&1; echo rc=$?; grep Seccomp: /proc/self/status",
             {{"SecurityOpt", {"seccomp=unconfined"}}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("rc=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Seccomp:\t0"), std::string::npos) << r.out;
}

TEST_F(SpecgenRun, CustomSeccompProfileText) {
  std::string profile =
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]})";
  auto r = run_sh("mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touched",
                  {{"SecurityOpt", {"seccomp=" + profile}}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;  // errnoRet 13 = EACCES
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("touched"), std::string::npos) << r.out;
}

TEST_F(SpecgenRun, MaskedAndReadonlyPaths) {
  // Masked paths this kernel has (kcore, sched_debug... depend on its config).
  ASSERT_FALSE(berth::testing::slurp("/proc/timer_list").empty());
  ASSERT_TRUE(fs::exists("/sys/firmware"));
  // /proc/sys/kernel/hostname is per UTS namespace: harmless even if the write got through.
  auto r = run_sh(
      "echo timer_list=$(wc -c < /proc/timer_list) keys=$(wc -c < /proc/keys); "
      "echo firmware=$(ls /sys/firmware | wc -l); "
      "{ echo x > /proc/sys/kernel/hostname; } 2>&1 || echo proc-sys-ro; "
      "touch /sys/x 2>/dev/null || echo sysfs-ro");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("timer_list=0 keys=0\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("firmware=0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("proc-sys-ro"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/proc/sys/kernel/hostname: Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sysfs-ro"), std::string::npos) << r.out;

  // Privileged: nothing masked.
  r = run_sh("echo timer_list=$(wc -c < /proc/timer_list)", {{"Privileged", true}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("timer_list=0\n"), std::string::npos) << r.out;
}

TEST_F(SpecgenRun, ReadonlyRootfsAndTmpfsOptions) {
  auto r = run_sh("touch /x 2>&1; touch /run/ok /tmp/ok && echo tmpfs-rw; grep -E ' /(run|tmp) ' /proc/mounts",
                  {{"ReadonlyRootfs", true}, {"Tmpfs", {{"/run", "rw,size=1m,exec"}, {"/tmp", ""}}}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tmpfs-rw"), std::string::npos) << r.out;
  std::string run_line, tmp_line;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (line.find(" /run ") != std::string::npos) run_line = line;
    if (line.find(" /tmp ") != std::string::npos) tmp_line = line;
  }
  EXPECT_NE(run_line.find("nosuid,nodev"), std::string::npos) << run_line;
  EXPECT_NE(run_line.find("size=1024k"), std::string::npos) << run_line;
  EXPECT_EQ(run_line.find("noexec"), std::string::npos) << run_line;
  EXPECT_NE(tmp_line.find("nosuid,nodev,noexec"), std::string::npos) << tmp_line;
}

TEST_F(SpecgenRun, UlimitsAndNoNewPrivileges) {
  auto r = run_sh("ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status",
                  {{"Ulimits", {{{"Name", "nofile"}, {"Soft", 100}, {"Hard", 200}}}},
                   {"SecurityOpt", {"no-new-privileges:true"}}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "100\n200\nNoNewPrivs:\t1\n");
}

TEST_F(SpecgenRun, MemoryAndPidsLimitsInTheCgroup) {
  auto in = input({{"Memory", 64 << 20}, {"PidsLimit", 50}, {"NanoCpus", 500000000}},
                  {{"Cmd", {"sleep", "30"}}});
  auto spec = build_spec(in);
  ASSERT_TRUE(spec) << spec.error().str();
  std::string bundle = dir_ + "/bundle-mem";
  fs::create_directories(bundle);
  std::ofstream(bundle + "/config.json") << spec->dump(2);
  ids_.push_back(in.id);
  auto r = runtime({"run", "-d", "--bundle", bundle, in.id});
  ASSERT_EQ(r.status, 0) << r.err;
  auto read = [](const std::string& p) {
    std::string s = berth::testing::slurp(p);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  };
  const std::string cg = "/berth/" + in.id;
  EXPECT_EQ(read("/sys/fs/cgroup/memory" + cg + "/memory.limit_in_bytes"), std::to_string(64 << 20));
  if (host_.swap_accounting) {
    EXPECT_EQ(read("/sys/fs/cgroup/memory" + cg + "/memory.memsw.limit_in_bytes"), std::to_string(128 << 20));
  }
  EXPECT_EQ(read("/sys/fs/cgroup/pids" + cg + "/pids.max"), "50");
  EXPECT_EQ(read("/sys/fs/cgroup/cpu" + cg + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(read("/sys/fs/cgroup/cpu" + cg + "/cpu.cfs_period_us"), "100000");
  ASSERT_EQ(runtime({"delete", "--force", in.id}).status, 0);
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/memory" + cg));
}

TEST_F(SpecgenRun, UserResolutionFromTheImage) {
  auto r = run_sh("id; echo HOME=$HOME", {{"GroupAdd", {"nogroup"}}}, {{"User", "app"}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("uid=1000(app) gid=1000(app) groups=65534(nogroup)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HOME=/home/app"), std::string::npos) << r.out;

  r = run_sh("id -u; id -g", json::object(), {{"User", "4242:4343"}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "4242\n4343\n");
}

TEST_F(SpecgenRun, InitForwardsSigtermAndExitsWithTheChildsStatus) {
  fs::path init = init_path();
  ASSERT_TRUE(fs::exists(init)) << "berth-init not built at " << init << " (set BERTH_INIT)";
  // The shell asks PID 1 (berth-init) for SIGTERM; berth-init passes it on; the trap exits 42.
  auto r = run_sh("tr '\\0' ' ' < /proc/1/cmdline; echo; trap 'echo got-term; exit 42' TERM; kill -TERM 1; "
                  "i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; echo \"timed out after $i\"",
                  {{"Init", true}});
  EXPECT_EQ(r.status, 42) << r.out << r.err;
  EXPECT_NE(r.out.find("/sbin/docker-init -- sh -c"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("got-term"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("timed out after 100"), std::string::npos) << r.out;
}

TEST_F(SpecgenRun, InitReapsOrphans) {
  ASSERT_TRUE(fs::exists(init_path())) << "berth-init not built (set BERTH_INIT)";
  // The inner shell leaves an orphan that exits after its parent: it is re-parented to
  // PID 1, which must reap it. Poll (bounded) until no zombie is left.
  auto r = run_sh(
      "sh -c '(sleep 0.1; touch /tmp/orphan-done) &'; "
      "i=0; while [ ! -e /tmp/orphan-done ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
      "i=0; while [ $i -lt 200 ]; do "
      "  z=$(cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"Z\"' | wc -l); "
      "  [ \"$z\" = 0 ] && { echo reaped; exit 0; }; sleep 0.05; i=$((i+1)); done; "
      "echo zombies-left; cat /proc/[0-9]*/stat",
      {{"Init", true}});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("reaped"), std::string::npos) << r.out;
}

TEST_F(SpecgenRun, PrivilegedGetsTheHostsCapabilitiesAndNoFilters) {
  auto r = run_sh("grep -E 'CapBnd|Seccomp:' /proc/self/status; grep -E ' /sys (sysfs|none) rw' /proc/mounts && echo sys-rw",
                  {{"Privileged", true}});
  ASSERT_EQ(r.status, 0) << r.err;
  char mask[17];
  std::snprintf(mask, sizeof mask, "%016llx", static_cast<unsigned long long>(host_.cap_bounding));
  EXPECT_NE(r.out.find(std::string("CapBnd:\t") + mask), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Seccomp:\t0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sys-rw"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace berth::specgen
