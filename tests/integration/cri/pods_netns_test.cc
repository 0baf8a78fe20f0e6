// The pod side on the real kernel (root): port-forward's connection made
// inside a held pod network namespace reaches a listener there and nothing
// on the host's loopback; and the pod kernel seam's shared PID namespace
// (berth-init --hold as its PID 1) and /dev/shm tmpfs, cleaned up after.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base/unique_fd.h"
#include "cri/pods/netns_connect.h"
#include "cri/pods/pod_kernel.h"
#include "engine/held_namespaces.h"
#include "support/bundle.h"
#include "support/paths.h"

using namespace berth;
namespace fs = std::filesystem;

namespace {

class PodsKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/bpod-kernel-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    engine::release_namespace(dir_ + "/net");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

// A listener on 127.0.0.1 (any free port) made inside the namespace file.
UniqueFd listen_in(const std::string& netns, uint16_t* port) {
  UniqueFd out;
  std::thread([&] {
    UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) return;
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.get(), 4) != 0) return;
    socklen_t len = sizeof a;
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
    *port = ntohs(a.sin_port);
    out = std::move(s);
  }).join();
  return out;
}

TEST_F(PodsKernel, PortForwardConnectsInsideThePodNetwork) {
  ASSERT_TRUE(engine::hold_namespaces({dir_ + "/net", "", "", ""}));
  uint16_t port = 0;
  UniqueFd listener = listen_in(dir_ + "/net", &port);
  ASSERT_TRUE(listener);
  auto conn = cri::connect_in_netns(dir_ + "/net", port);
  ASSERT_TRUE(conn) << conn.error().str();
  UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted);
  ASSERT_EQ(::write(conn->get(), "ping", 4), 4);
  char buf[8] = {};
  ASSERT_EQ(::read(accepted.get(), buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "ping");
  // The host's loopback is another namespace: the same port is not there
  // (unless something of the host's happens to listen on it).
  auto outside = cri::connect_in_netns("", port);
  if (outside) GTEST_LOG_(INFO) << "a host process listens on " << port;
  auto none = cri::connect_in_netns(dir_ + "/net", port == 65535 ? 65534 : port + 1);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().str().find(dir_ + "/net"), std::string::npos) << none.error().str();
}

TEST_F(PodsKernel, SharedPidNamespaceIsHeldByBerthInitAndShmIsATmpfs) {
  auto kernel = cri::make_pod_kernel();
  auto pid = kernel->start_pid_holder(berth::testing::berth_init_path(), dir_ + "/pid");
  ASSERT_TRUE(pid) << pid.error().str();
  EXPECT_TRUE(kernel->is_held(dir_ + "/pid"));
  // Its PID 1 is berth-init: a process in the namespace sees it as 1.
  struct stat held{}, of_holder{};
  ASSERT_EQ(::stat((dir_ + "/pid").c_str(), &held), 0);
  ASSERT_EQ(::stat(("/proc/" + std::to_string(*pid) + "/ns/pid").c_str(), &of_holder), 0);
  EXPECT_EQ(held.st_ino, of_holder.st_ino);
  std::string status;
  {
    std::ifstream f("/proc/" + std::to_string(*pid) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("NSpid:", 0) == 0) status = line;
  }
  EXPECT_NE(status.find("\t1"), std::string::npos) << status;
  kernel->stop_pid_holder(*pid, dir_ + "/pid");
  EXPECT_FALSE(fs::exists(dir_ + "/pid"));
  EXPECT_FALSE(fs::exists("/proc/" + std::to_string(*pid))) << "killed and reaped";

  ASSERT_TRUE(kernel->mount_shm(dir_ + "/shm"));
  struct statfs sfs{};
  ASSERT_EQ(::statfs((dir_ + "/shm").c_str(), &sfs), 0);
  EXPECT_EQ(sfs.f_type, 0x01021994) << "tmpfs";
  kernel->unmount_shm(dir_ + "/shm");
  EXPECT_FALSE(fs::exists(dir_ + "/shm"));
  EXPECT_TRUE(berth::testing::mounts_containing(dir_).empty());
}

}  // namespace
