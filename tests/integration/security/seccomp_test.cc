// Compiled profiles loaded in forked children: the kernel's real verdicts.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstdlib>

#include "../../unit/security/docker_profile.h"
#include "runtime/linux/seccomp.h"
#include "security/child.h"
#include "sys/fdpass.h"

using namespace berth;
using fixtures::arg;
using testing_child::run_in_child;

namespace {

spec::Seccomp allow_all_but(std::vector<std::string> names, const std::string& action,
                            std::optional<uint32_t> errno_ret = std::nullopt,
                            std::vector<spec::SeccompArg> args = {}) {
  spec::Seccomp p;
  p.default_action = "SCMP_ACT_ALLOW";
  p.syscalls.push_back({std::move(names), action, errno_ret, std::move(args)});
  return p;
}

runtime::SeccompProgram compile(const spec::Seccomp& p) {
  auto prog = runtime::compile_seccomp(p);
  if (!prog) ADD_FAILURE() << prog.error().str();
  return prog ? *prog : runtime::SeccompProgram{};
}

// Child side: no_new_privs (as the runtime sets it for unprivileged loads), then load.
int load(const runtime::SeccompProgram& prog) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return runtime::load_seccomp(prog);
}

std::string temp_dir() {
  char tmpl[] = "/tmp/berth-seccomp-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "";
}

}  // namespace

TEST(SeccompLoad, DeniedSyscallReturnsDefaultEperm) {
  auto prog = compile(allow_all_but({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO"));
  std::string dir = temp_dir();
  auto r = run_in_child([&] {
    CHILD_CHECK(load(prog) == 0);
    CHILD_CHECK(::mkdir((dir + "/a").c_str(), 0755) < 0 && errno == EPERM);
    CHILD_CHECK(::getpid() > 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
  ::rmdir(dir.c_str());
}

TEST(SeccompLoad, DeniedSyscallReturnsErrnoRet) {
  auto prog = compile(allow_all_but({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", 38));
  std::string dir = temp_dir();
  auto r = run_in_child([&] {
    CHILD_CHECK(load(prog) == 0);
    CHILD_CHECK(::mkdir((dir + "/a").c_str(), 0755) < 0 && errno == ENOSYS);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
  ::rmdir(dir.c_str());
}

TEST(SeccompLoad, ArgumentFilterDeniesOneValueOnly) {
  auto prog = compile(allow_all_but({"getppid"}, "SCMP_ACT_ERRNO", 13, {arg(0, 7, "SCMP_CMP_EQ")}));
  auto r = run_in_child([&] {
    CHILD_CHECK(load(prog) == 0);
    CHILD_CHECK(::syscall(SYS_getppid, 7) < 0 && errno == EACCES);
    CHILD_CHECK(::syscall(SYS_getppid, 8) > 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

TEST(SeccompLoad, SameIndexConditionsAreOredOtherwiseAnded) {
  auto same = compile(allow_all_but({"getppid"}, "SCMP_ACT_ERRNO", 13,
                                    {arg(0, 1, "SCMP_CMP_EQ"), arg(0, 2, "SCMP_CMP_EQ")}));
  auto r = run_in_child([&] {
    CHILD_CHECK(load(same) == 0);
    CHILD_CHECK(::syscall(SYS_getppid, 1, 0) < 0 && errno == EACCES);
    CHILD_CHECK(::syscall(SYS_getppid, 2, 0) < 0 && errno == EACCES);
    CHILD_CHECK(::syscall(SYS_getppid, 3, 0) > 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);

  auto distinct = compile(allow_all_but({"getppid"}, "SCMP_ACT_ERRNO", 13,
                                        {arg(0, 1, "SCMP_CMP_EQ"), arg(1, 2, "SCMP_CMP_EQ")}));
  r = run_in_child([&] {
    CHILD_CHECK(load(distinct) == 0);
    CHILD_CHECK(::syscall(SYS_getppid, 1, 2) < 0 && errno == EACCES);
    CHILD_CHECK(::syscall(SYS_getppid, 1, 3) > 0);
    CHILD_CHECK(::syscall(SYS_getppid, 0, 2) > 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

TEST(SeccompLoad, OperatorsCompareAsTheKernelSees) {
  auto prog = compile(allow_all_but({"getppid"}, "SCMP_ACT_ERRNO", 13, {arg(2, 0xf0, "SCMP_CMP_MASKED_EQ", 0x30)}));
  auto gt = compile(allow_all_but({"getpgrp"}, "SCMP_ACT_ERRNO", 13, {arg(0, 100, "SCMP_CMP_GT")}));
  auto r = run_in_child([&] {
    CHILD_CHECK(load(prog) == 0);
    CHILD_CHECK(load(gt) == 0);  // filters stack
    CHILD_CHECK(::syscall(SYS_getppid, 0, 0, 0x3f) < 0 && errno == EACCES);
    CHILD_CHECK(::syscall(SYS_getppid, 0, 0, 0x4f) > 0);
    CHILD_CHECK(::syscall(SYS_getpgrp, 101) < 0 && errno == EACCES);
    CHILD_CHECK(::syscall(SYS_getpgrp, 100) > 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

TEST(SeccompLoad, KillActionsKillWithSigsys) {
  for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"}) {
    auto prog = compile(allow_all_but({"getppid"}, action));
    auto r = run_in_child([&] {
      CHILD_CHECK(load(prog) == 0);
      ::syscall(SYS_getppid);
      return std::string("survived getppid");
    });
    EXPECT_TRUE(r.killed_by(SIGSYS)) << action << ": " << testing_child::describe(r);
  }
}

TEST(SeccompLoad, TraceWithoutTracerAndLogAllow) {
  auto trace = compile(allow_all_but({"getppid"}, "SCMP_ACT_TRACE"));
  auto logged = compile(allow_all_but({"getpgrp"}, "SCMP_ACT_LOG"));
  auto r = run_in_child([&] {
    CHILD_CHECK(load(trace) == 0);
    CHILD_CHECK(load(logged) == 0);
    CHILD_CHECK(::syscall(SYS_getppid) < 0 && errno == ENOSYS);  // no tracer attached
    CHILD_CHECK(::syscall(SYS_getpgrp) > 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

// The child loads a NOTIFY filter, hands the listener over and waits for our answer.
void notify_round_trip(const std::vector<std::string>& flags) {
  auto p = allow_all_but({"getppid"}, "SCMP_ACT_NOTIFY");
  p.flags = flags;
  auto prog = compile(p);
  ASSERT_TRUE(prog.wants_listener);
  int sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sp[0]);
    int fd = load(prog);
    if (fd <= 0) ::_exit(10);
    if (sys::send_fd_raw(sp[1], fd, "x", 1) < 0) ::_exit(11);
    ::close(fd);
    ::_exit(::syscall(SYS_getppid) == 4242 ? 0 : 12);
  }
  ::close(sp[1]);
  auto listener = sys::recv_fd(sp[0]);
  ::close(sp[0]);
  if (listener) {
    seccomp_notif req{};
    ASSERT_EQ(::ioctl(listener->get(), SECCOMP_IOCTL_NOTIF_RECV, &req), 0) << std::strerror(errno);
    EXPECT_EQ(req.data.nr, SYS_getppid);
    EXPECT_EQ(static_cast<pid_t>(req.pid), pid);
    seccomp_notif_resp resp{};
    resp.id = req.id;
    resp.val = 4242;
    EXPECT_EQ(::ioctl(listener->get(), SECCOMP_IOCTL_NOTIF_SEND, &resp), 0) << std::strerror(errno);
  } else {
    ADD_FAILURE() << listener.error().str();
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

TEST(SeccompLoad, NotifyReturnsAListener) { notify_round_trip({}); }

TEST(SeccompLoad, NotifyWithTsyncAndWaitKillable) {
  // TSYNC needs TSYNC_ESRCH alongside a listener; load_seccomp adds it.
  notify_round_trip({"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"});
}

TEST(SeccompLoad, FlagsWithoutListenerLoad) {
  auto p = allow_all_but({"getppid"}, "SCMP_ACT_ERRNO");
  p.flags = runtime::seccomp_known_flags();  // WAIT_KILLABLE_RECV is dropped without a listener
  auto prog = compile(p);
  auto r = run_in_child([&] {
    CHILD_CHECK(load(prog) == 0);
    CHILD_CHECK(::syscall(SYS_getppid) < 0 && errno == EPERM);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

TEST(SeccompLoad, ProgramFromStoredBytesLoads) {
  auto prog = compile(allow_all_but({"getppid"}, "SCMP_ACT_ERRNO", 21));
  auto back = runtime::seccomp_from_bytes(runtime::seccomp_to_bytes(prog));
  ASSERT_TRUE(back) << back.error().str();
  auto r = run_in_child([&] {
    CHILD_CHECK(load(*back) == 0);
    CHILD_CHECK(::syscall(SYS_getppid) < 0 && errno == EISDIR);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

TEST(SeccompLoad, DockerLikeProfileBehaves) {
  auto prog = compile(fixtures::docker_like_profile());
  std::string dir = temp_dir();
  auto r = run_in_child([&] {
    CHILD_CHECK(load(prog) == 0);
    CHILD_CHECK(::getpid() > 0);
    std::string sub = dir + "/sub";
    CHILD_CHECK(::mkdir(sub.c_str(), 0755) == 0);
    CHILD_CHECK(::rmdir(sub.c_str()) == 0);
    // Not in the allow list: the default EPERM.
    CHILD_CHECK(::mount("none", dir.c_str(), "tmpfs", 0, nullptr) < 0 && errno == EPERM);
    CHILD_CHECK(::unshare(CLONE_NEWNS) < 0 && errno == EPERM);
    // clone3 gets ENOSYS, so libc falls back to clone.
    CHILD_CHECK(::syscall(SYS_clone3, nullptr, 0) < 0 && errno == ENOSYS);
    // clone: allowed without namespace flags, refused with them.
    CHILD_CHECK(::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) < 0 && errno == EPERM);
    pid_t kid = ::fork();
    if (kid == 0) ::_exit(7);
    CHILD_CHECK(kid > 0);
    int st = 0;
    CHILD_CHECK(::waitpid(kid, &st, 0) == kid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    // socket: every family but AF_VSOCK.
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHILD_CHECK(s >= 0);
    ::close(s);
    CHILD_CHECK(::socket(40, SOCK_STREAM, 0) < 0 && errno == EPERM);
    // personality: only the listed values.
    CHILD_CHECK(::personality(0xffffffff) >= 0);
    CHILD_CHECK(::personality(PER_BSD) < 0 && errno == EPERM);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
  ::rmdir(dir.c_str());
}
