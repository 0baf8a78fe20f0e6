// Bridges and veths on the real kernel (root). Everything here lives in
// names prefixed btnl (bridge btnl0, namespaces btnl-a/btnl-b) and in
// 10.201.0.0/24; traffic stays inside the test's own bridge. `ip` is used
// only to set up the namespaces and to inspect.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "net/link.h"

using namespace berth;
using namespace berth::net;

namespace {

const char* const kBridge = "btnl0";
const char* const kNsA = "btnl-a";
const char* const kNsB = "btnl-b";
const char* const kNotBridge = "btnl1";

struct Cmd {
  int status;
  std::string out;
};

Cmd sh(const std::string& cmd) {
  Cmd r{-1, {}};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

std::string ns_path(const char* ns) { return std::string("/run/netns/") + ns; }

// The host's veths that belong to this test: in its bridge or paired with one
// of its namespaces (other tests and daemons on the host make veths too).
int count_veths() {
  auto r = sh(std::string("ip -o link show type veth | grep -cE 'master ") + kBridge + " |link-netns btnl-'");
  return std::atoi(r.out.c_str());
}

std::string ping_cmd() {
  if (sh("command -v ping").status == 0) return "ping";
  if (sh("command -v busybox").status == 0) return "busybox ping";
  return {};
}

int count_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

std::string thread_netns() {
  char buf[64];
  ssize_t n = ::readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : std::string();
}

void cleanup() {
  sh(std::string("ip netns del ") + kNsA);
  sh(std::string("ip netns del ") + kNsB);
  sh(std::string("ip link del ") + kBridge);
  sh(std::string("ip link del ") + kNotBridge);
}

class Link : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (sh("command -v ip").status != 0) GTEST_SKIP() << "needs ip(8) to set up namespaces";
    cleanup();  // leftovers of an interrupted run
    ASSERT_EQ(sh(std::string("ip netns add ") + kNsA).status, 0);
    ASSERT_EQ(sh(std::string("ip netns add ") + kNsB).status, 0);
    sh(std::string("ip -n ") + kNsA + " link set lo up");
    sh(std::string("ip -n ") + kNsB + " link set lo up");
  }
  void TearDown() override {
    if (::geteuid() == 0) cleanup();
  }
};

TEST_F(Link, EnsureBridgeIsIdempotent) {
  auto r = ensure_bridge(kBridge, "10.201.0.1/24", 1400);
  ASSERT_TRUE(r) << r.error().str();
  r = ensure_bridge(kBridge, "10.201.0.1/24", 1400);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(*link_exists(kBridge));

  auto link = sh(std::string("ip -d link show ") + kBridge).out;
  EXPECT_NE(link.find("mtu 1400"), std::string::npos) << link;
  EXPECT_NE(link.find("bridge"), std::string::npos) << link;
  EXPECT_NE(link.find(",UP"), std::string::npos) << link;
  std::string mac_before = sh(std::string("cat /sys/class/net/") + kBridge + "/address").out;
  EXPECT_EQ(sh(std::string("cat /sys/class/net/") + kBridge + "/addr_assign_type").out, "3\n")
      << "the MAC is fixed (NET_ADDR_SET)";

  auto addrs = sh(std::string("ip -o -4 addr show dev ") + kBridge).out;
  EXPECT_NE(addrs.find("inet 10.201.0.1/24 brd 10.201.0.255"), std::string::npos) << addrs;
  EXPECT_EQ(std::count(addrs.begin(), addrs.end(), '\n'), 1) << addrs;

  // A changed MTU is applied to the adopted bridge; the MAC stays.
  ASSERT_TRUE(ensure_bridge(kBridge, "10.201.0.1/24", 1300));
  EXPECT_NE(sh(std::string("ip link show ") + kBridge).out.find("mtu 1300"), std::string::npos);
  EXPECT_EQ(sh(std::string("cat /sys/class/net/") + kBridge + "/address").out, mac_before);

  // The host's routes now include the bridge's subnet.
  auto routes = host_routes();
  ASSERT_TRUE(routes) << routes.error().str();
  bool found = false;
  for (const auto& n : *routes) found |= format_cidr(n) == "10.201.0.0/24";
  EXPECT_TRUE(found);

  // sysctl on our own bridge.
  std::string knob = std::string("net/ipv4/conf/") + kBridge + "/route_localnet";
  ASSERT_TRUE(set_sysctl(knob, "1"));
  EXPECT_EQ(sh("cat /proc/sys/" + knob).out, "1\n");
  ASSERT_TRUE(set_sysctl(knob, "0"));
  EXPECT_EQ(sh("cat /proc/sys/" + knob).out, "0\n");
  EXPECT_FALSE(set_sysctl("net/ipv4/conf/../../x", "1"));
  auto missing = set_sysctl("net/ipv4/conf/btnl-nonexistent/route_localnet", "1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);

  ASSERT_TRUE(remove_bridge(kBridge));
  EXPECT_FALSE(*link_exists(kBridge));
  EXPECT_TRUE(remove_bridge(kBridge)) << "missing is fine";
}

// An adopted bridge ends up with its network's gateway alone: addresses an
// older berth stacked on it go, and a different one is replaced (as dockerd
// replaces the bridge's address by --bip), also when the gateway was a
// secondary address of one deleted.
TEST_F(Link, EnsureBridgeLeavesTheGatewayAlone) {
  ASSERT_EQ(sh(std::string("ip link add ") + kBridge + " type bridge").status, 0);
  for (const char* a : {"10.201.0.5/24", "10.201.1.1/24", "10.201.2.1/24", "10.201.0.1/24"})
    ASSERT_EQ(sh(std::string("ip addr add ") + a + " dev " + kBridge).status, 0) << a;
  auto on = link_ipv4_addresses(kBridge);
  ASSERT_TRUE(on) << on.error().str();
  std::vector<std::string> got;
  for (const auto& a : *on) got.push_back(format_cidr(a));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front(), "10.201.0.5/24") << "the first added is listed first";
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"10.201.0.1/24", "10.201.0.5/24", "10.201.1.1/24", "10.201.2.1/24"}));
  auto only = [&] {
    auto r = sh(std::string("ip -o -4 addr show dev ") + kBridge + " | awk '{print $4}'");
    return r.out;
  };
  ASSERT_TRUE(ensure_bridge(kBridge, "10.201.0.1/24", 0));
  EXPECT_EQ(only(), "10.201.0.1/24\n");
  ASSERT_TRUE(ensure_bridge(kBridge, "10.201.3.1/24", 0));
  EXPECT_EQ(only(), "10.201.3.1/24\n");
  ASSERT_TRUE(ensure_bridge(kBridge, "10.201.3.1/24", 0));
  EXPECT_EQ(only(), "10.201.3.1/24\n");
  // Empty: the addresses stay as they are.
  ASSERT_TRUE(ensure_bridge(kBridge, "", 0));
  EXPECT_EQ(only(), "10.201.3.1/24\n");

  // A link that is down keeps its address but loses its route: pools must
  // still avoid it.
  ASSERT_EQ(sh(std::string("ip link set ") + kBridge + " down").status, 0);
  auto routes = host_routes();
  auto nets = host_networks();
  ASSERT_TRUE(routes && nets);
  auto has = [](const std::vector<Ipv4Net>& v) {
    return std::any_of(v.begin(), v.end(), [](const Ipv4Net& n) { return format_cidr(n) == "10.201.3.0/24"; });
  };
  EXPECT_FALSE(has(*routes));
  EXPECT_TRUE(has(*nets));

  auto none = link_ipv4_addresses("btnl-missing");
  ASSERT_TRUE(none) << none.error().str();
  EXPECT_TRUE(none->empty());
}

TEST_F(Link, RefusesToAdoptOrRemoveANonBridge) {
  // A veth pair (dummy links need a module this kernel may lack).
  ASSERT_EQ(sh(std::string("ip link add ") + kNotBridge + " type veth peer name btnl2").status, 0);
  auto r = ensure_bridge(kNotBridge, "10.201.0.1/24", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict);
  EXPECT_NE(r.error().message.find("is not a bridge"), std::string::npos) << r.error().message;
  auto rm = remove_bridge(kNotBridge);
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error().code, Errc::InvalidArgument);
  EXPECT_TRUE(*link_exists(kNotBridge));
}

TEST_F(Link, AttachPingDetach) {
  ASSERT_TRUE(ensure_bridge(kBridge, "10.201.0.1/24", 1500));
  int veths = count_veths();

  AttachSpec a{ns_path(kNsA), kBridge, "eth0", "10.201.0.2/24", "10.201.0.1", 1500, ""};
  auto t0 = std::chrono::steady_clock::now();
  auto host_a = attach(a);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(host_a) << host_a.error().str();
  std::fprintf(stderr, "attach() took %.2f ms\n", ms);
  RecordProperty("attach_ms", std::to_string(ms));

  AttachSpec b{ns_path(kNsB), kBridge, "eth0", "10.201.0.3/24", "10.201.0.1", 1500, "02:42:0a:c9:00:33"};
  t0 = std::chrono::steady_clock::now();
  auto host_b = attach(b);
  ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(host_b) << host_b.error().str();
  std::fprintf(stderr, "attach() took %.2f ms (second)\n", ms);
  EXPECT_EQ(count_veths(), veths + 2);

  // Host ends: veth<7 hex>, in the bridge, up.
  for (const auto& h : {*host_a, *host_b}) {
    EXPECT_EQ(h.size(), 11u);
    EXPECT_EQ(h.rfind("veth", 0), 0u);
    auto l = sh("ip link show " + h).out;
    EXPECT_NE(l.find(std::string("master ") + kBridge), std::string::npos) << l;
    EXPECT_NE(l.find(",UP"), std::string::npos) << l;
  }

  // Inside: address, Docker's MAC (or the given one), MTU, up, default route.
  auto addr_a = sh(std::string("ip -n ") + kNsA + " -o -4 addr show dev eth0").out;
  EXPECT_NE(addr_a.find("inet 10.201.0.2/24 brd 10.201.0.255"), std::string::npos) << addr_a;
  auto link_a = sh(std::string("ip -n ") + kNsA + " link show eth0").out;
  EXPECT_NE(link_a.find("link/ether 02:42:0a:c9:00:02"), std::string::npos) << link_a;
  EXPECT_NE(link_a.find("mtu 1500"), std::string::npos) << link_a;
  EXPECT_NE(link_a.find(",UP"), std::string::npos) << link_a;
  auto link_b = sh(std::string("ip -n ") + kNsB + " link show eth0").out;
  EXPECT_NE(link_b.find("link/ether 02:42:0a:c9:00:33"), std::string::npos) << link_b;
  auto route_a = sh(std::string("ip -n ") + kNsA + " route show default").out;
  EXPECT_NE(route_a.find("default via 10.201.0.1 dev eth0"), std::string::npos) << route_a;

  std::string ping = ping_cmd();
  if (ping.empty()) {
    ADD_FAILURE() << "no ping or busybox to check connectivity";
  } else {
    auto p = sh(std::string("ip netns exec ") + kNsA + " " + ping + " -c1 -W1 10.201.0.3");
    EXPECT_EQ(p.status, 0) << p.out;
    p = sh(std::string("ip netns exec ") + kNsB + " " + ping + " -c1 -W1 10.201.0.2");
    EXPECT_EQ(p.status, 0) << p.out;
    p = sh(std::string("ip netns exec ") + kNsA + " " + ping + " -c1 -W1 10.201.0.1");
    EXPECT_EQ(p.status, 0) << "the gateway (bridge) answers: " << p.out;
  }

  // detach by host end: both ends gone.
  ASSERT_TRUE(detach(*host_a));
  EXPECT_FALSE(*link_exists(*host_a));
  EXPECT_NE(sh(std::string("ip -n ") + kNsA + " link show eth0").status, 0);
  EXPECT_TRUE(detach(*host_a)) << "missing is fine";

  // detach from inside the namespace (network disconnect).
  ASSERT_TRUE(detach_in_netns(ns_path(kNsB), "eth0"));
  EXPECT_FALSE(*link_exists(*host_b));
  EXPECT_TRUE(detach_in_netns(ns_path(kNsB), "eth0")) << "missing is fine";
  EXPECT_TRUE(detach_in_netns("/run/netns/btnl-nonexistent", "eth0")) << "gone namespace is fine";
  EXPECT_EQ(count_veths(), veths);

  // A second interface in the same namespace (eth1) without a default route.
  auto h1 = attach({ns_path(kNsA), kBridge, "eth0", "10.201.0.4/24", "10.201.0.1", 0, ""});
  ASSERT_TRUE(h1) << h1.error().str();
  auto h2 = attach({ns_path(kNsA), kBridge, "eth1", "10.201.0.5/24", "", 0, ""});
  ASSERT_TRUE(h2) << h2.error().str();
  EXPECT_EQ(sh(std::string("ip -n ") + kNsA + " link show eth1").status, 0);
  EXPECT_TRUE(detach(*h1));
  EXPECT_TRUE(detach(*h2));

  ASSERT_TRUE(remove_bridge(kBridge));
  EXPECT_EQ(count_veths(), veths);
}

TEST_F(Link, FailedAttachLeavesNoVeth) {
  ASSERT_TRUE(ensure_bridge(kBridge, "10.201.0.1/24", 0));
  int veths = count_veths();

  auto bad_ns = attach({"/run/netns/btnl-nonexistent", kBridge, "eth0", "10.201.0.2/24", "10.201.0.1", 0, ""});
  ASSERT_FALSE(bad_ns);
  EXPECT_EQ(bad_ns.error().code, Errc::NotFound);
  EXPECT_NE(bad_ns.error().message.find("btnl-nonexistent"), std::string::npos) << bad_ns.error().message;
  EXPECT_EQ(count_veths(), veths);

  auto not_ns = attach({"/proc/self/cmdline", kBridge, "eth0", "10.201.0.2/24", "10.201.0.1", 0, ""});
  ASSERT_FALSE(not_ns);
  EXPECT_EQ(not_ns.error().code, Errc::InvalidArgument) << not_ns.error().str();

  auto no_bridge = attach({ns_path(kNsA), "btnl-nobridge", "eth0", "10.201.0.2/24", "10.201.0.1", 0, ""});
  ASSERT_FALSE(no_bridge);
  EXPECT_EQ(no_bridge.error().code, Errc::NotFound);

  auto bad_addr = attach({ns_path(kNsA), kBridge, "eth0", "10.201.0.2", "10.201.0.1", 0, ""});
  ASSERT_FALSE(bad_addr);
  EXPECT_EQ(bad_addr.error().code, Errc::InvalidArgument);
  auto bad_mac = attach({ns_path(kNsA), kBridge, "eth0", "10.201.0.2/24", "", 0, "01:00:5e:00:00:01"});
  ASSERT_FALSE(bad_mac);
  EXPECT_EQ(bad_mac.error().code, Errc::InvalidArgument);

  // Fails after the pair exists: a gateway that is not on the link.
  auto bad_gw = attach({ns_path(kNsA), kBridge, "eth0", "10.201.0.2/24", "10.99.0.1", 0, ""});
  ASSERT_FALSE(bad_gw);
  std::fprintf(stderr, "bad gateway: %s\n", bad_gw.error().str().c_str());
  EXPECT_NE(bad_gw.error().message.find("default route via 10.99.0.1"), std::string::npos) << bad_gw.error().str();
  EXPECT_EQ(count_veths(), veths);
  EXPECT_NE(sh(std::string("ip -n ") + kNsA + " link show eth0").status, 0) << "the peer went with the pair";

  // The name is taken in the namespace.
  auto first = attach({ns_path(kNsA), kBridge, "eth0", "10.201.0.2/24", "10.201.0.1", 0, ""});
  ASSERT_TRUE(first) << first.error().str();
  auto dup = attach({ns_path(kNsA), kBridge, "eth0", "10.201.0.3/24", "10.201.0.1", 0, ""});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::Conflict) << dup.error().str();
  EXPECT_EQ(count_veths(), veths + 1);
  ASSERT_TRUE(detach(*first));
  EXPECT_EQ(count_veths(), veths);
}

TEST_F(Link, ParallelAttachFromManyThreads) {
  ASSERT_TRUE(ensure_bridge(kBridge, "10.201.0.1/24", 0));
  int veths = count_veths();
  std::string before = thread_netns();
  int fds = count_fds();
  // 8 interfaces, 4 per namespace, attached from 8 threads at once.
  std::vector<Result<std::string>> results(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      results[i] = attach({ns_path(i % 2 ? kNsB : kNsA), kBridge, "eth" + std::to_string(i / 2),
                           "10.201.0." + std::to_string(10 + i) + "/24", i < 2 ? "10.201.0.1" : "", 0, ""});
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(results[i]) << i << ": " << results[i].error().str();
  EXPECT_EQ(count_veths(), veths + 8);
  EXPECT_EQ(thread_netns(), before) << "the caller's namespace is unchanged";
  for (auto& r : results) EXPECT_TRUE(detach(*r));
  EXPECT_EQ(count_veths(), veths);
  EXPECT_EQ(count_fds(), fds) << "no netlink socket or namespace fd leaked";
}

}  // namespace
