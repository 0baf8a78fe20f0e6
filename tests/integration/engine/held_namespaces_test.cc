// Pod namespaces held by bind mounts (engine/held_namespaces.h) on the real
// kernel (root): the files hold live namespaces with the hostname and lo set,
// a container started by berth-runtime joins them by path (as the CRI's pod
// containers do), and release leaves nothing mounted.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/unique_fd.h"
#include "engine/held_namespaces.h"
#include "support/bundle.h"

using namespace berth;
using namespace berth::testing;
namespace fs = std::filesystem;

namespace {

class HeldNamespaces : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/bpod-held-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    for (const char* n : {"net", "ipc", "uts"}) engine::release_namespace(dir_ + "/" + n);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

// Runs fn in a thread that joined the namespace file at path.
template <class F>
void inside(const std::string& path, int type, F fn) {
  std::thread([&] {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd) << path;
    ASSERT_EQ(::setns(fd.get(), type), 0) << std::strerror(errno);
    fn();
  }).join();
}

ino_t inode_of(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_F(HeldNamespaces, HoldHostnameAndLoopback) {
  engine::HeldNamespacePaths p{dir_ + "/net", dir_ + "/ipc", dir_ + "/uts", "pod-a"};
  auto r = engine::hold_namespaces(p);
  ASSERT_TRUE(r) << r.error().str();
  // Each file is a namespace other than this process's.
  EXPECT_NE(inode_of(p.net), inode_of("/proc/self/ns/net"));
  EXPECT_NE(inode_of(p.ipc), inode_of("/proc/self/ns/ipc"));
  EXPECT_NE(inode_of(p.uts), inode_of("/proc/self/ns/uts"));
  inside(p.uts, CLONE_NEWUTS, [] {
    char name[256] = {};
    ASSERT_EQ(::gethostname(name, sizeof name), 0);
    EXPECT_STREQ(name, "pod-a");
  });
  inside(p.net, CLONE_NEWNET, [] {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    ASSERT_EQ(::ioctl(s.get(), SIOCGIFFLAGS, &ifr), 0);
    EXPECT_TRUE(ifr.ifr_flags & IFF_UP);
  });
  char host[256] = {};
  ::gethostname(host, sizeof host);
  EXPECT_STRNE(host, "pod-a") << "the host's hostname is untouched";

  for (const auto& f : {p.net, p.ipc, p.uts}) engine::release_namespace(f);
  EXPECT_TRUE(mounts_containing(dir_).empty());
  EXPECT_FALSE(fs::exists(p.net));
}

TEST_F(HeldNamespaces, AnExistingFileIsRefusedAndNothingIsLeft) {
  { std::ofstream(dir_ + "/uts") << "x"; }
  engine::HeldNamespacePaths p{dir_ + "/net", "", dir_ + "/uts", "pod-b"};
  auto r = engine::hold_namespaces(p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find(dir_ + "/uts"), std::string::npos) << r.error().str();
  EXPECT_FALSE(fs::exists(p.net));
  EXPECT_TRUE(mounts_containing(dir_).empty());
}

TEST_F(HeldNamespaces, AContainerJoinsThemByPath) {
  engine::HeldNamespacePaths p{dir_ + "/net", dir_ + "/ipc", dir_ + "/uts", "pod-c"};
  ASSERT_TRUE(engine::hold_namespaces(p));
  Bundle b;
  auto& ns = b.config()["linux"]["namespaces"];
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& n : ns)
    if (n["type"] != "network" && n["type"] != "ipc" && n["type"] != "uts") kept.push_back(n);
  kept.push_back({{"type", "network"}, {"path", p.net}});
  kept.push_back({{"type", "ipc"}, {"path", p.ipc}});
  kept.push_back({{"type", "uts"}, {"path", p.uts}});
  ns = kept;
  b.config().erase("hostname");
  b.set_args({"/bin/sh", "-c", "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc"});
  b.save();
  auto res = b.run();
  ASSERT_EQ(res.status, 0) << res.err;
  std::string want = "pod-c\nnet:[" + std::to_string(inode_of(p.net)) + "]\nipc:[" +
                     std::to_string(inode_of(p.ipc)) + "]\n";
  EXPECT_EQ(res.out, want);
}

}  // namespace
