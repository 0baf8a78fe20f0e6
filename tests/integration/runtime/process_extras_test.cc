// process.scheduler and seccomp user notification (SCMP_ACT_NOTIFY + listenerPath).
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <thread>

#include "support/bundle.h"

using namespace berth::testing;
using nlohmann::json;

TEST(ProcessExtras, SchedulerPolicyAndNice) {
  Bundle b;
  b.config()["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 5}};
  b.set_args({"sh", "-c", "grep -E '^(policy|prio)' /proc/self/sched | tr -s ' '"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "policy : 3\nprio : 125\n");  // SCHED_BATCH; 120 + nice
  b.config()["process"]["scheduler"] = {{"policy", "SCHED_NOPE"}};
  r = b.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("process.scheduler.policy"), std::string::npos) << r.err;
}

// An ignored signal stays ignored across execve: what the runtime's caller
// ignored (the test ignores SIGPIPE and SIGUSR2 while it runs the runtime)
// must not reach the container, which starts with every signal at default.
TEST(ProcessExtras, IgnoredSignalsOfTheCallerAreNotInherited) {
  Bundle b;
  b.set_args({"cat", "/proc/self/status"});
  auto old_pipe = std::signal(SIGPIPE, SIG_IGN);
  auto old_usr2 = std::signal(SIGUSR2, SIG_IGN);
  auto r = b.run();
  std::signal(SIGPIPE, old_pipe);
  std::signal(SIGUSR2, old_usr2);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("SigIgn:\t0000000000000000\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SigCgt:\t0000000000000000\n"), std::string::npos) << r.out;
}

// The agent receives the listener with the container state, and its answers
// reach the container: mkdir fails with the errno the agent chose.
TEST(ProcessExtras, SeccompNotifyGoesToTheListenerAgent) {
  Bundle b;
  std::string sock_path = b.dir() + "/agent.sock";
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path.c_str());
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(srv, 1), 0);

  json received;
  int answered = 0;
  std::thread agent([&] {
    int c = accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
    char data[8192] = {};
    struct iovec iov = {data, sizeof data - 1};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    struct msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    if (recvmsg(c, &mh, 0) <= 0) return;
    int listener = -1;
    std::memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
    received = json::parse(data);
    struct seccomp_notif req{};
    struct seccomp_notif_resp resp{};
    while (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
      resp = {};
      resp.id = req.id;
      resp.error = -ENOSPC;
      ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
      ++answered;
      req = {};
    }
    close(listener);
    close(c);
  });

  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", sock_path},
      {"listenerMetadata", "berth-test"},
      {"architectures", {"SCMP_ARCH_X86_64"}},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  b.set_args({"sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?"});
  std::string id = b.unique_id();
  auto r = b.run(id);
  agent.join();
  close(srv);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("No space left on device"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
  EXPECT_GE(answered, 1);
  EXPECT_EQ(received["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(received["metadata"], "berth-test");
  EXPECT_EQ(received["state"]["id"], id);
  EXPECT_GT(received["pid"].get<int>(), 0);
}
