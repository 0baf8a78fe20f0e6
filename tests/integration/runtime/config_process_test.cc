// config.json "process" fields, each checked from inside the container (or
// from the host's /proc while the container waits to start).
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <thread>

#include "runtime/config_helpers.h"

using namespace berth::testing;
using namespace berth::testing::cfg;

TEST(ConfigProcess, ArgsEnvAndCwdCreatedIfMissing) {
  Bundle b;
  b.set_args({"sh", "-c", "echo \"[$1] [$2]\"; echo \"F=$FOO B=$BAR T=${TERM-unset}\"; pwd", "zero", "one two",
              "three"});
  b.config()["process"]["env"] = {"PATH=/bin", "FOO=foo bar", "BAR=x=y"};
  b.config()["process"]["cwd"] = "/work/deep/new-dir";
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[one two] [three]\nF=foo bar B=x=y T=unset\n/work/deep/new-dir\n");
  struct stat st{};
  ASSERT_EQ(::stat((b.rootfs() + "/work/deep/new-dir").c_str(), &st), 0) << "cwd was not created in the rootfs";
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(ConfigProcess, UserUidGidAdditionalGidsUmask) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {5, 65534}}, {"umask", 027}};
  b.set_args({"sh", "-c",
              "id -u; id -g; grep ^Groups: /proc/self/status; umask; touch /tmp/f; mkdir /tmp/d; "
              "stat -c '%a %u:%g' /tmp/f /tmp/d"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto l = lines_of(r.out);
  ASSERT_EQ(l.size(), 6u) << r.out;
  EXPECT_EQ(l[0], "1000");
  EXPECT_EQ(l[1], "1001");
  EXPECT_EQ(l[2], "Groups:\t5 65534 ");
  EXPECT_EQ(l[3], "0027");
  EXPECT_EQ(l[4], "640 1000:1001");
  EXPECT_EQ(l[5], "750 1000:1001");
}

TEST(ConfigProcess, UmaskZeroIsApplied) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 0}, {"gid", 0}, {"umask", 0}};
  b.set_args({"sh", "-c", "umask; touch /tmp/f; stat -c %a /tmp/f"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0000\n666\n");
}

namespace {

// Distinct masks for the five sets, so that a set taken from the wrong field shows.
// bits: CHOWN 0, DAC_OVERRIDE 1, KILL 5, SETUID 7, NET_BIND_SERVICE 10, NET_RAW 13
json five_cap_sets() {
  return {{"bounding", {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETUID", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}},
          {"effective", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
          {"permitted", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}},
          {"inheritable", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
          {"ambient", {"CAP_NET_BIND_SERVICE"}}};
}

}  // namespace

TEST(ConfigProcess, CapabilitiesAllFiveSetsBeforeExec) {
  // A created container waits just before execve with its identity applied:
  // the host sees the five sets exactly as configured.
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config()["process"]["capabilities"] = five_cap_sets();
  b.set_args({"true"});
  b.save();
  std::string id = b.unique_id("caps");
  auto c = b.runtime({"create", "--bundle", b.dir(), id});
  ASSERT_EQ(c.status, 0) << c.err;
  int pid = state_of(b, id).value("pid", 0);
  ASSERT_GT(pid, 0);
  std::string st = slurp("/proc/" + std::to_string(pid) + "/status");
  EXPECT_EQ(status_field(st, "CapBnd"), "00000000000024a3");
  EXPECT_EQ(status_field(st, "CapEff"), "0000000000000421");
  EXPECT_EQ(status_field(st, "CapPrm"), "0000000000002421");
  EXPECT_EQ(status_field(st, "CapInh"), "0000000000000420");
  EXPECT_EQ(status_field(st, "CapAmb"), "0000000000000400");
  EXPECT_EQ(status_field(st, "Uid"), "1000\t1000\t1000\t1000");
  b.runtime({"delete", "--force", id});
}

TEST(ConfigProcess, CapabilitiesAfterExecNonRootKeepsAmbient) {
  // Across execve a non-root process keeps bounding, inheritable and ambient;
  // permitted and effective become the ambient set.
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config()["process"]["capabilities"] = five_cap_sets();
  b.set_args({"grep", "^Cap", "/proc/self/status"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(status_field(r.out, "CapBnd"), "00000000000024a3") << r.out;
  EXPECT_EQ(status_field(r.out, "CapInh"), "0000000000000420") << r.out;
  EXPECT_EQ(status_field(r.out, "CapAmb"), "0000000000000400") << r.out;
  EXPECT_EQ(status_field(r.out, "CapPrm"), "0000000000000400") << r.out;
  EXPECT_EQ(status_field(r.out, "CapEff"), "0000000000000400") << r.out;
}

TEST(ConfigProcess, CapabilitiesRootWithNoNewPrivsAndEffect) {
  // Root with no_new_privs: after execve, permitted = effective = what the
  // configured permitted set allows within the bounding set.
  Bundle b;
  b.config()["process"]["noNewPrivileges"] = true;
  b.config()["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL"}},
                                           {"effective", {"CAP_KILL"}},
                                           {"permitted", {"CAP_KILL"}},
                                           {"inheritable", json::array()},
                                           {"ambient", json::array()}};
  // Without CAP_CHOWN in effect root cannot chown: the set is enforced, not just shown.
  b.set_args({"sh", "-c", "grep ^Cap /proc/self/status; touch /tmp/f; chown 1000 /tmp/f 2>&1; echo rc=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(status_field(r.out, "CapBnd"), "0000000000000021") << r.out;
  EXPECT_EQ(status_field(r.out, "CapPrm"), "0000000000000020") << r.out;
  EXPECT_EQ(status_field(r.out, "CapEff"), "0000000000000020") << r.out;
  EXPECT_EQ(status_field(r.out, "CapInh"), "0000000000000000") << r.out;
  EXPECT_EQ(status_field(r.out, "CapAmb"), "0000000000000000") << r.out;
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
}

TEST(ConfigProcess, RlimitsLowered) {
  struct rlimit nofile{}, memlock{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &memlock), 0);
  // Never above our hard limits: root here lacks CAP_SYS_RESOURCE.
  rlim_t nofile_hard = std::min<rlim_t>(nofile.rlim_max, 300), nofile_soft = nofile_hard / 2;
  rlim_t memlock_hard = std::min<rlim_t>(memlock.rlim_max, 1 << 20) / 2, memlock_soft = memlock_hard / 2;
  ASSERT_GT(nofile_soft, 10u);
  Bundle b;
  b.config()["process"]["rlimits"] = {
      {{"type", "RLIMIT_NOFILE"}, {"soft", nofile_soft}, {"hard", nofile_hard}},
      {{"type", "RLIMIT_MEMLOCK"}, {"soft", memlock_soft}, {"hard", memlock_hard}}};
  b.set_args({"sh", "-c", "ulimit -n; ulimit -Hn; grep 'Max locked memory' /proc/self/limits"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto l = lines_of(r.out);
  ASSERT_EQ(l.size(), 3u) << r.out;
  EXPECT_EQ(l[0], std::to_string(nofile_soft));
  EXPECT_EQ(l[1], std::to_string(nofile_hard));
  std::istringstream in(l[2].substr(std::string("Max locked memory").size()));
  unsigned long long soft = 0, hard = 0;
  in >> soft >> hard;
  EXPECT_EQ(soft, memlock_soft) << l[2];
  EXPECT_EQ(hard, memlock_hard) << l[2];
}

TEST(ConfigProcess, RlimitAboveHardLimitFailsCreate) {
  struct rlimit nofile{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  if (nofile.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no finite hard limit to exceed";
  Bundle b;
  b.config()["process"]["rlimits"] = {
      {{"type", "RLIMIT_NOFILE"}, {"soft", nofile.rlim_max + 1}, {"hard", nofile.rlim_max + 1}}};
  auto r = b.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("RLIMIT_NOFILE"), std::string::npos) << r.err;
}

TEST(ConfigProcess, NoNewPrivilegesBothWays) {
  for (bool nnp : {true, false}) {
    Bundle b;
    b.config()["process"]["noNewPrivileges"] = nnp;
    b.set_args({"grep", "^NoNewPrivs:", "/proc/self/status"});
    auto r = b.run();
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, std::string("NoNewPrivs:\t") + (nnp ? "1" : "0") + "\n");
  }
}

TEST(ConfigProcess, OomScoreAdj) {
  Bundle b;
  b.config()["process"]["oomScoreAdj"] = 423;
  b.set_args({"cat", "/proc/self/oom_score_adj"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "423\n");
}

TEST(ConfigProcess, IoPriority) {
  Bundle b;
  b.config()["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 6}};
  b.set_args({"ionice"});  // without arguments: the class and priority of this process
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "best-effort: prio 6\n");

  b.config()["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 0}};
  r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("idle", 0), 0u) << r.out;
}

namespace {

// Listens on a UNIX socket, takes the pty master that the runtime sends with
// SCM_RIGHTS, and collects everything the container writes to its terminal.
class ConsoleReceiver {
 public:
  explicit ConsoleReceiver(const std::string& path) : path_(path) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 1) != 0)
      ADD_FAILURE() << "console socket " << path << ": " << strerror(errno);
    thread_ = std::thread([this] { loop(); });
  }
  ~ConsoleReceiver() {
    if (thread_.joinable()) {
      ::shutdown(listen_fd_, SHUT_RDWR);
      thread_.join();
    }
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
  // Waits until the container closed its terminal; returns what it printed.
  std::string output() {
    if (thread_.joinable()) thread_.join();
    return out_;
  }
  bool got_fd() const { return got_fd_; }
  std::string name() const { return name_; }

 private:
  void loop() {
    int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;
    char name[256] = {};
    iovec iov{name, sizeof name - 1};
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof ctl;
    ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    ::close(conn);
    if (n < 0) return;
    name_.assign(name, static_cast<size_t>(n));
    int master = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&master, CMSG_DATA(c), sizeof master);
    if (master < 0) return;
    got_fd_ = true;
    char buf[4096];
    while (true) {
      ssize_t r = ::read(master, buf, sizeof buf);
      if (r > 0) out_.append(buf, static_cast<size_t>(r));
      else if (r < 0 && errno == EINTR) continue;
      else break;  // EIO: the last slave fd was closed
    }
    ::close(master);
  }

  std::string path_;
  int listen_fd_ = -1;
  std::thread thread_;
  std::string out_, name_;
  bool got_fd_ = false;
};

}  // namespace

TEST(ConfigProcess, TerminalThroughConsoleSocketWithConsoleSize) {
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.config()["process"]["consoleSize"] = {{"height", 33}, {"width", 101}};
  b.set_args({"sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; stty size"});
  b.save();
  ConsoleReceiver rx(b.dir() + "/console.sock");
  std::string id = b.unique_id("tty");
  auto c = b.runtime({"create", "--bundle", b.dir(), "--console-socket", b.dir() + "/console.sock", id});
  ASSERT_EQ(c.status, 0) << c.err;
  ASSERT_EQ(b.runtime({"start", id}).status, 0);
  std::string out = rx.output();
  EXPECT_TRUE(rx.got_fd());
  EXPECT_NE(out.find("/dev/pts/0\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("all-ttys\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("33 101\r\n"), std::string::npos) << out;
  EXPECT_TRUE(wait_stopped(b, id));
  EXPECT_EQ(b.runtime({"delete", id}).status, 0);
}

TEST(ConfigProcess, TerminalOffMeansNoTty) {
  Bundle b;
  b.set_args({"sh", "-c", "[ -t 0 ] || [ -t 1 ] && echo tty || echo no-tty"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "no-tty\n");
}

TEST(ConfigProcess, PersonalityDomain) {
  Bundle b;
  b.set_args({"uname", "-m"});
  auto native = b.run();
  ASSERT_EQ(native.status, 0) << native.err;
  if (native.out != "x86_64\n" && native.out != "aarch64\n") GTEST_SKIP() << "no 32-bit personality to check";
  b.config()["linux"]["personality"] = {{"domain", "LINUX32"}};
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, native.out == "x86_64\n" ? "i686\n" : "armv8l\n");
}

TEST(ConfigProcess, UnsupportedSecurityFieldsAreRefusedByName) {
  Bundle b;
  b.config()["process"]["apparmorProfile"] = "some-profile";
  auto r = b.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("process.apparmorProfile"), std::string::npos) << r.err;
}

// SELinux labels on a host without SELinux are ignored, as runc and crun do
// (runtime-tools' linux_mount_label); where SELinux is on, they are refused.
TEST(ConfigProcess, SelinuxLabelsFollowTheHost) {
  Bundle b;
  b.config()["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0";
  b.config()["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2";
  auto r = b.run();
  if (access("/sys/fs/selinux/enforce", F_OK) == 0) {
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("process.selinuxLabel"), std::string::npos) << r.err;
  } else {
    EXPECT_EQ(r.status, 0) << r.err;
  }
}
