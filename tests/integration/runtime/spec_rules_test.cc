// Rules of the OCI runtime spec that runtime-tools' validation programs check
// and berth-runtime once got wrong: a config without a mount namespace shares
// the runtime's, a hostname goes into a uts namespace joined by path, the
// runtime's own set-up runs before the container's seccomp filter, and the
// prestart hook sees the container "created".
#include <gtest/gtest.h>
#include <unistd.h>

#include "runtime/config_helpers.h"

using namespace berth::testing;
using namespace berth::testing::cfg;

namespace {

std::string own_ns(const std::string& name) {
  return std::filesystem::read_symlink("/proc/self/ns/" + name).string();
}

// An allow-all profile whose rules deny what is given with EPERM.
json deny_profile(const std::vector<std::string>& names) {
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"syscalls", {{{"names", names}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
}

// What the runtime used to call after loading the filter: the cwd check, the
// user change, the executable lookup, the start handshake, the signal reset.
const std::vector<std::string> kRuntimeSyscalls = {"getcwd",    "chdir",     "fchdir",    "access", "faccessat",
                                                   "faccessat2", "setgroups", "setresuid", "setresgid", "umask",
                                                   "accept4",   "accept",    "sendmsg",   "sendto"};

}  // namespace

// config.md: a namespace type that is not listed is the runtime's. Without a
// mount namespace the root is entered with chroot, and what the container
// mounted in the runtime's namespace is gone after delete.
TEST(SpecRules, NoMountNamespaceSharesTheRuntimesAndCleansUp) {
  Bundle b;
  drop_namespace(b.config(), "mount");
  write_text(b.rootfs() + "/marker", "inside-the-rootfs\n");
  b.set_args({"sh", "-c", "readlink /proc/self/ns/mnt; cat /marker; grep -c . /proc/self/mounts >/dev/null && echo proc-ok; sleep 30"});
  std::string id = b.unique_id("nomnt");
  b.save();
  ASSERT_EQ(b.runtime({"create", "--bundle", b.dir(), id}).status, 0);
  // Mounted in this (the runtime's) namespace, under the rootfs.
  EXPECT_FALSE(mounts_containing(b.rootfs() + "/proc").empty());
  auto e = b.runtime({"exec", id, "sh", "-c", "readlink /proc/self/ns/mnt; cat /marker"});
  EXPECT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(e.out, own_ns("mnt") + "\ninside-the-rootfs\n") << "exec enters the container's root too";
  ASSERT_EQ(b.runtime({"delete", "--force", id}).status, 0);
  EXPECT_TRUE(mounts_containing(b.rootfs()).empty()) << "mounts left behind in the runtime's namespace";

  b.set_args({"sh", "-c", "readlink /proc/self/ns/mnt; cat /marker; ls /proc/self/fd >/dev/null && echo proc-ok"});
  b.config()["root"]["readonly"] = true;
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, own_ns("mnt") + "\ninside-the-rootfs\nproc-ok\n");
  EXPECT_TRUE(mounts_containing(b.rootfs()).empty()) << "mounts left behind by run";
}

TEST(SpecRules, NoMountNamespaceLeavesTheHostsPropagationAlone) {
  std::string before = slurp("/proc/self/mountinfo").substr(0, slurp("/proc/self/mountinfo").find('\n'));
  Bundle b;
  drop_namespace(b.config(), "mount");
  b.set_args({"true"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  std::string after = slurp("/proc/self/mountinfo").substr(0, slurp("/proc/self/mountinfo").find('\n'));
  EXPECT_EQ(before, after) << "the runtime changed the propagation of /";
}

// config.md: the hostname is set in the container's uts namespace, which may
// be one joined by path.
TEST(SpecRules, HostnameInUtsNamespaceJoinedByPath) {
  Bundle a;
  a.config()["hostname"] = "first-name";
  a.set_args({"sleep", "30"});
  std::string id_a = a.unique_id("uts-a");
  int pid_a = run_detached(a, id_a);
  ASSERT_GT(pid_a, 0);

  Bundle b;
  set_namespace(b.config(), "uts", "/proc/" + std::to_string(pid_a) + "/ns/uts");
  b.config()["hostname"] = "joined-name";
  b.set_args({"sh", "-c", "readlink /proc/self/ns/uts; hostname"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  std::string a_uts = std::filesystem::read_symlink("/proc/" + std::to_string(pid_a) + "/ns/uts").string();
  EXPECT_EQ(r.out, a_uts + "\njoined-name\n");
  auto e = a.runtime({"exec", id_a, "hostname"});
  EXPECT_EQ(e.out, "joined-name\n") << "the joined namespace's hostname changed";
  a.runtime({"delete", "--force", id_a});
}

TEST(SpecRules, HostnameWithoutUtsNamespaceIsRefused) {
  Bundle b;
  drop_namespace(b.config(), "uts");
  b.config()["hostname"] = "nope";
  auto r = b.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("hostname"), std::string::npos) << r.err;
}

// The filter is the container's, not the runtime's: a profile that denies
// what the runtime itself calls while setting up must not break the start.
TEST(SpecRules, SeccompDenyingRuntimeSyscallsStillStarts) {
  struct Case {
    const char* name;
    bool no_new_privs;
    bool app_user;
  } cases[] = {{"root", false, false}, {"root+nnp", true, false}, {"user", false, true}, {"user+nnp", true, true}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bundle b;
    b.config()["linux"]["seccomp"] = deny_profile(kRuntimeSyscalls);
    b.config()["process"]["noNewPrivileges"] = c.no_new_privs;
    b.config()["process"]["cwd"] = "/tmp";
    if (c.app_user) b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    // The container's own first syscalls prove the filter is in place.
    b.set_args({"sh", "-c", "readlink /proc/self/cwd; grep -E '^(Seccomp|CapEff|NoNewPrivs):' /proc/self/status"});
    auto r = b.run();
    ASSERT_EQ(r.status, 0) << r.err;
    auto l = lines_of(r.out);
    ASSERT_EQ(l.size(), 4u) << r.out;
    EXPECT_EQ(l[0], "/tmp") << r.out;
    EXPECT_EQ(status_field(r.out, "Seccomp"), "2") << r.out;
    EXPECT_EQ(status_field(r.out, "NoNewPrivs"), c.no_new_privs ? "1" : "0") << r.out;
    // CAP_SYS_ADMIN held for the load is gone again.
    uint64_t eff = std::stoull(status_field(r.out, "CapEff"), nullptr, 16);
    EXPECT_EQ(eff & (uint64_t{1} << 21), 0u) << r.out;
    if (c.app_user) EXPECT_EQ(eff, 0u) << r.out;
  }
}

TEST(SpecRules, SeccompDenyingGetcwdAllowsExec) {
  Bundle b;
  b.config()["linux"]["seccomp"] = deny_profile({"getcwd"});
  b.config()["process"]["noNewPrivileges"] = false;  // the filter then needs CAP_SYS_ADMIN to load
  b.set_args({"sleep", "30"});
  std::string id = b.unique_id("scexec");
  ASSERT_GT(run_detached(b, id), 0);
  auto e = b.runtime({"exec", "--cwd", "/tmp", "--user", "1000:1000", id, "sh", "-c", "echo in-$(id -u)"});
  EXPECT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(e.out, "in-1000\n");
  b.runtime({"delete", "--force", id});
}

// runtime-tools' hooks_stdin: the prestart hook's state says "created".
TEST(SpecRules, PrestartHookSeesCreated) {
  Bundle b;
  std::string out = b.dir() + "/prestart.json";
  b.config()["hooks"]["prestart"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat > " + out}}}};
  b.config()["hooks"]["createRuntime"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat > " + out + ".cr"}}}};
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  json st = json::parse(slurp(out), nullptr, false);
  ASSERT_FALSE(st.is_discarded()) << slurp(out);
  EXPECT_EQ(st["status"], "created");
  EXPECT_GT(st.value("pid", 0), 0);
  json cr = json::parse(slurp(out + ".cr"), nullptr, false);
  EXPECT_EQ(cr["status"], "creating") << "createRuntime is part of create";
}
