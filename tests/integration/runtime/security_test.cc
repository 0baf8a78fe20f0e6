// Regression tests for the container-escape classes a runtime must close.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "support/bundle.h"

using namespace berth::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Docker's default capability set: root in a container has these.
const std::vector<std::string> kDockerCaps = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE"};

void give_caps(Bundle& b, const std::vector<std::string>& caps) {
  for (const char* set : {"bounding", "effective", "permitted"}) b.config()["process"]["capabilities"][set] = caps;
}

std::set<std::string> words(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

}  // namespace

// A symlink in the image must not send a mount point (or its creation) to the host.
TEST(Security, SymlinkInImageCannotRedirectMounts) {
  Bundle b;
  std::string host_dir = b.dir() + "/host-target";
  fs::create_directories(host_dir);
  fs::create_symlink(host_dir, b.rootfs() + "/abs-escape");
  fs::create_symlink("../../../../../../../../.." + host_dir, b.rootfs() + "/rel-escape");
  b.config()["mounts"].push_back({{"destination", "/abs-escape/sub"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  b.config()["mounts"].push_back({{"destination", "/rel-escape/sub2"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  b.config()["mounts"].push_back(
      {{"destination", "/abs-escape/bound"}, {"type", "bind"}, {"source", "/etc"}, {"options", {"bind", "ro"}}});
  b.set_args({"sh", "-c", "grep -c ' " + host_dir + "/sub ' /proc/mounts"});
  auto r = b.run();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n") << "the tmpfs must be mounted at the path resolved inside the rootfs";
  EXPECT_TRUE(fs::is_empty(host_dir)) << "a mount point was created on the host through an image symlink";
  EXPECT_TRUE(fs::exists(b.rootfs() + host_dir + "/sub"));
}

// CVE-2024-21626: a cwd through a runtime fd that points outside the root.
TEST(Security, CwdThroughLeakedFdIsRefused) {
  Bundle b;
  b.set_args({"sh", "-c", "pwd; ls"});
  for (int fd = 3; fd <= 12; ++fd) {
    b.config()["process"]["cwd"] = "/proc/self/fd/" + std::to_string(fd);
    auto r = b.run();
    EXPECT_NE(r.status, 0) << "cwd /proc/self/fd/" << fd << " was accepted; output: " << r.out;
    EXPECT_EQ(r.out.find("state"), std::string::npos) << r.out;
  }
}

TEST(Security, ExecCwdThroughLeakedFdIsRefused) {
  Bundle b;
  b.set_args({"sleep", "60"});
  b.save();
  std::string id = b.unique_id();
  ASSERT_EQ(b.runtime({"run", "-d", "--bundle", b.dir(), id}).status, 0);
  for (int fd = 3; fd <= 12; ++fd) {
    auto r = b.runtime({"exec", "--cwd", "/proc/self/fd/" + std::to_string(fd), id, "sh", "-c", "pwd; ls"});
    EXPECT_NE(r.status, 0) << "exec cwd /proc/self/fd/" << fd << " was accepted; output: " << r.out;
  }
}

// No fd of the runtime (or of its caller, unless preserved) reaches the container.
TEST(Security, OnlyStdioAndPreservedFdsReachTheContainer) {
  Bundle b;
  b.set_args({"ls", "/proc/self/fd"});
  int p[2], q[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(pipe(q), 0);
  b.save();
  auto r = b.runtime({"run", "--bundle", b.dir(), b.unique_id()}, "", {p[0], q[0]});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(words(r.out), (std::set<std::string>{"0", "1", "2", "3"})) << r.out;  // 3: ls's own directory
  r = b.runtime({"run", "--preserve-fds", "2", "--bundle", b.dir(), b.unique_id()}, "", {p[0], q[0]});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(words(r.out), (std::set<std::string>{"0", "1", "2", "3", "4", "5"})) << r.out;

  b.set_args({"sleep", "60"});
  b.save();
  std::string id = b.unique_id();
  ASSERT_EQ(b.runtime({"run", "-d", "--bundle", b.dir(), id}).status, 0);
  r = b.runtime({"exec", id, "ls", "/proc/self/fd"}, "", {p[0], q[0]});
  EXPECT_EQ(words(r.out), (std::set<std::string>{"0", "1", "2", "3"})) << r.out;
  for (int fd : {p[0], p[1], q[0], q[1]}) close(fd);
}

// CVE-2019-5736: while the runtime's own process is inside the container (the
// created container's init waits for start as berth-runtime), a root process
// of another container in the same pid namespace must not reach the binary.
TEST(Security, RuntimeBinaryIsNotReachableThroughProcExe) {
  Bundle waiting;
  give_caps(waiting, kDockerCaps);
  waiting.save();
  std::string wid = waiting.unique_id("waiting");
  ASSERT_EQ(waiting.runtime({"create", "--bundle", waiting.dir(), wid}).status, 0);
  auto st = json::parse(waiting.runtime({"state", wid}).out);
  ASSERT_EQ(st["status"], "created");
  int init_pid = st["pid"];
  ASSERT_EQ(fs::read_symlink("/proc/" + std::to_string(init_pid) + "/exe"), fs::path(runtime_path()));

  Bundle attacker;
  give_caps(attacker, kDockerCaps);
  for (auto& ns : attacker.config()["linux"]["namespaces"])
    if (ns["type"] == "pid") ns["path"] = "/proc/" + std::to_string(init_pid) + "/ns/pid";
  attacker.set_args({"sh", "-c",
                     "readlink /proc/1/exe && echo READLINK-OK; cat /proc/1/exe > /dev/null && echo OPEN-OK; "
                     "for f in /proc/1/fd/*; do readlink $f && echo FD-LINK-OK; done; "
                     "echo done"});
  auto r = attacker.run();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "done\n") << "a container process reached the runtime: " << r.out;
  EXPECT_NE(r.err.find("ermission denied"), std::string::npos) << r.err;
}

TEST(Security, SensitiveProcPathsAreMaskedOrReadOnly) {
  Bundle b;
  give_caps(b, kDockerCaps);
  // /proc/kcore exists only on kernels built with it; /proc/keys always does.
  b.set_args({"sh", "-c",
              "wc -c < /proc/keys; [ -e /proc/kcore ] && wc -c < /proc/kcore; ls /proc/acpi | wc -l; "
              "echo 1 > /proc/sys/kernel/sysrq && echo WROTE-SYSCTL; echo done"});
  auto r = b.run();
  EXPECT_EQ(r.status, 0) << r.err;
  std::string expected = fs::exists("/proc/kcore") ? "0\n0\n0\ndone\n" : "0\n0\ndone\n";
  EXPECT_EQ(r.out, expected) << r.out;
}
