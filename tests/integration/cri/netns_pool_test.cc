// The pool of network namespaces made ahead of pods (root): each pod's held
// netns is a new one of its own with only lo, up, whether it came from the
// pool or was made on the spot; nothing stays mounted after release.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "base/unique_fd.h"
#include "cri/pods/netns_pool.h"
#include "cri/pods/pod_kernel.h"

using namespace berth;
namespace fs = std::filesystem;

namespace {

constexpr long kNsfsMagic = 0x6e736673;

struct NetnsView {
  bool entered = false, lo_up = false;
  int interfaces = 0;
};

// What a thread that joins the namespace file sees.
NetnsView look_inside(const std::string& path) {
  NetnsView v;
  std::thread([&] {
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) return;
    v.entered = true;
    if (struct if_nameindex* all = ::if_nameindex()) {
      for (auto* i = all; i->if_index != 0; ++i) ++v.interfaces;
      ::if_freenameindex(all);
    }
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    v.lo_up = s && ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
  }).join();
  return v;
}

ino_t inode_of(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

bool is_nsfs(const std::string& path) {
  struct statfs fs{};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == kNsfsMagic;
}

class NetnsPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/bperf-netns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(NetnsPoolTest, AMadeNamespaceHasOnlyLoUpAndIsHeldAtItsFile) {
  auto made = cri::make_netns();
  ASSERT_TRUE(made) << made.error().str();
  std::string path = dir_ + "/net";
  ASSERT_TRUE(cri::hold_netns_fd_at(made->get(), path));
  EXPECT_TRUE(is_nsfs(path));
  EXPECT_NE(inode_of(path), inode_of("/proc/self/ns/net")) << "not the host's";
  auto v = look_inside(path);
  ASSERT_TRUE(v.entered);
  EXPECT_TRUE(v.lo_up);
  EXPECT_EQ(v.interfaces, 1) << "only lo";
  EXPECT_FALSE(cri::hold_netns_fd_at(made->get(), path)) << "an existing file is not replaced";
  engine::release_namespace(path);
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(NetnsPoolTest, EveryPodGetsAFreshNamespaceOfItsOwnFromThePoolOrNot) {
  auto kernel = cri::make_pod_kernel();
  std::set<ino_t> seen;
  std::vector<std::string> held;
  for (int i = 0; i < 6; ++i) {
    std::string pod = dir_ + "/pod" + std::to_string(i);
    fs::create_directories(pod);
    engine::HeldNamespacePaths p;
    p.net = pod + "/net";
    p.uts = pod + "/uts";
    p.ipc = pod + "/ipc";
    p.hostname = "pod" + std::to_string(i);
    ASSERT_TRUE(kernel->hold_namespaces(p)) << i;
    for (const auto& f : {p.net, p.uts, p.ipc}) {
      EXPECT_TRUE(kernel->is_held(f)) << f;
      held.push_back(f);
    }
    EXPECT_TRUE(seen.insert(inode_of(p.net)).second) << "pod " << i << " shares a network namespace";
    auto v = look_inside(p.net);
    ASSERT_TRUE(v.entered) << i;
    EXPECT_TRUE(v.lo_up) << i;
    EXPECT_EQ(v.interfaces, 1) << i;
  }
  for (const auto& f : held) {
    kernel->release_namespace(f);
    EXPECT_FALSE(fs::exists(f)) << f;
  }
}

}  // namespace
