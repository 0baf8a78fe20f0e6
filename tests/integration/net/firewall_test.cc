// berth's nftables firewall (src/net/firewall.h) against the real kernel.
//
// Everything happens inside a network namespace this test process unshares
// first (its "host"), so no rule, link or sysctl of the machine is touched and
// a crash leaves nothing behind but the named netns bind mounts (removed in
// TearDownTestSuite). BTNF_HOST_NETNS=1 runs in the caller's namespace instead
// (then ip_forward is restored afterwards). Topology, set up with `ip`:
//
//   btnfc0-PID 10.202.0.2 ─┐                      ┌─ btnfc1-PID 10.202.1.2
//   btnfc2-PID 10.202.0.3 ─┼─ btnf0 10.202.0.1    │   btnf1 10.202.1.1
//                          └──────── host ────────┘
//                                     └─ btnfho 10.202.100.1 ── btnfo-PID 10.202.100.2
//                                        ("outside": no route back to 10.202.0.0/16)
//
// httpd in btnfc0 answers "hello", httpd in btnfo-PID answers the client's address.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "net/firewall.h"
#include "net/ports.h"

using namespace berth;
using namespace berth::net;
namespace fs = std::filesystem;

namespace {

const std::string kPid = std::to_string(getpid());
const std::string kTable = "btnf_test_" + kPid;
const std::string kNs0 = "btnfc0-" + kPid, kNs1 = "btnfc1-" + kPid, kNs2 = "btnfc2-" + kPid;
const std::string kNsOut = "btnfo-" + kPid;
const std::string kOwner = "c0ffee" + kPid;

struct Cmd {
  int rc;
  std::string out;
};

Cmd sh(const std::string& cmd) {
  Cmd r{-1, ""};
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Set-up commands must work; prints the command's stderr when one does not.
bool must(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  if (st != 0) ADD_FAILURE() << "set-up failed: " << cmd;
  return st == 0;
}

// HTTP GET through curl, never through a proxy; "" on failure.
std::string get(const std::string& ns, const std::string& url, int timeout_s = 2) {
  std::string prefix = ns.empty() ? "" : "ip netns exec " + ns + " ";
  auto r = sh(prefix + "curl -s --noproxy '*' --max-time " + std::to_string(timeout_s) + " " + url);
  return r.rc == 0 ? r.out : "";
}

// curl's exit code: 7 = refused, 28 = timed out.
int get_rc(const std::string& ns, const std::string& url, int timeout_s = 1) {
  std::string prefix = ns.empty() ? "" : "ip netns exec " + ns + " ";
  return sh(prefix + "curl -s --noproxy '*' --max-time " + std::to_string(timeout_s) + " " + url).rc;
}

pid_t spawn_in(const std::string& ns, std::vector<std::string> argv) {
  std::vector<std::string> full{"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    std::vector<char*> a;
    for (auto& s : full) a.push_back(s.data());
    a.push_back(nullptr);
    execvp("ip", a.data());
    _exit(127);
  }
  return pid;
}

// The client address the outside server saw ("[::ffff:10.202.100.1]" -> "10.202.100.1").
std::string addr_seen(const std::string& ns) {
  std::string a = get(ns, "http://10.202.100.2/cgi-bin/addr");
  for (const char* junk : {"[::ffff:", "]", "\n"})
    if (auto p = a.find(junk); p != std::string::npos) a.erase(p, std::string_view(junk).size());
  return a;
}

bool table_listed() { return sh("nft list tables").out.find("table ip " + kTable + "\n") != std::string::npos; }

class FirewallTest : public ::testing::Test {
 protected:
  static inline std::vector<pid_t> servers_;
  static inline std::string www_;
  static inline std::string ip_forward_before_;
  static inline bool host_ns_ = false;
  static inline bool ready_ = false;
  static inline int orig_netns_ = -1;

  static void SetUpTestSuite() {
    host_ns_ = std::getenv("BTNF_HOST_NETNS") != nullptr;
    if (!host_ns_) {
      // Back to it in TearDownTestSuite: other suites of this binary run after.
      orig_netns_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      ASSERT_GE(orig_netns_, 0);
      ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << strerror(errno);
      ASSERT_TRUE(must("ip link set lo up"));
    }
    std::ifstream("/proc/sys/net/ipv4/ip_forward") >> ip_forward_before_;

    for (int i : {0, 1}) {
      std::string br = "btnf" + std::to_string(i), net = "10.202." + std::to_string(i);
      ASSERT_TRUE(must("ip link add " + br + " type bridge && ip addr add " + net + ".1/24 dev " + br +
                       " && ip link set " + br + " up"));
    }
    struct Peer { std::string ns, host_if, ns_if, bridge, addr, gw; };
    std::vector<Peer> peers{{kNs0, "btnfh0", "btnfp0", "btnf0", "10.202.0.2/24", "10.202.0.1"},
                            {kNs1, "btnfh1", "btnfp1", "btnf1", "10.202.1.2/24", "10.202.1.1"},
                            {kNs2, "btnfh2", "btnfp2", "btnf0", "10.202.0.3/24", "10.202.0.1"},
                            {kNsOut, "btnfho", "btnfpo", "", "10.202.100.2/24", ""}};
    for (const auto& p : peers) {
      std::string in = "ip -n " + p.ns + " ";
      ASSERT_TRUE(must("ip netns add " + p.ns));
      ASSERT_TRUE(must("ip link add " + p.host_if + " type veth peer name " + p.ns_if + " netns " + p.ns));
      if (!p.bridge.empty()) {
        // hairpin: as Docker without the userland proxy (and berth's link module) sets
        // it; with br_netfilter loaded, a container's packet to its own published
        // port is DNATed at the bridge and must go back out of the port it came in.
        ASSERT_TRUE(must("ip link set " + p.host_if + " master " + p.bridge + " up && ip link set " +
                         p.host_if + " type bridge_slave hairpin on"));
      } else {
        ASSERT_TRUE(must("ip addr add 10.202.100.1/24 dev " + p.host_if + " && ip link set " + p.host_if + " up"));
      }
      ASSERT_TRUE(must(in + "link set lo up && " + in + "addr add " + p.addr + " dev " + p.ns_if + " && " + in +
                       "link set " + p.ns_if + " up"));
      if (!p.gw.empty()) ASSERT_TRUE(must(in + "route add default via " + p.gw));
    }

    www_ = "/tmp/btnf-www-" + kPid;
    fs::create_directories(www_ + "/cgi-bin");
    std::ofstream(www_ + "/index.html") << "hello\n";
    {
      std::ofstream cgi(www_ + "/cgi-bin/addr");
      cgi << "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$REMOTE_ADDR\"\n";
    }
    fs::permissions(www_ + "/cgi-bin/addr", fs::perms::owner_all);
    servers_.push_back(spawn_in(kNs0, {"busybox", "httpd", "-f", "-p", "80", "-h", www_}));
    servers_.push_back(spawn_in(kNsOut, {"busybox", "httpd", "-f", "-p", "80", "-h", www_}));
    // Wait (test only) until both answer inside their namespaces.
    for (int i = 0; i < 100; ++i) {
      if (get(kNs0, "http://127.0.0.1/") == "hello\n" && get(kNsOut, "http://127.0.0.1/") == "hello\n") {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    ASSERT_TRUE(ready_) << "httpd did not start";
  }

  static void TearDownTestSuite() {
    for (pid_t pid : servers_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    servers_.clear();
    for (const auto& ns : {kNs0, kNs1, kNs2, kNsOut}) sh("ip netns del " + ns);
    for (const auto& l : {"btnf0", "btnf1", "btnfh0", "btnfh1", "btnfh2", "btnfho"}) sh(std::string("ip link del ") + l);
    sh("nft delete table ip " + kTable);
    if (host_ns_ && !ip_forward_before_.empty()) std::ofstream("/proc/sys/net/ipv4/ip_forward") << ip_forward_before_;
    if (!www_.empty()) fs::remove_all(www_);
    if (orig_netns_ >= 0) {
      EXPECT_EQ(setns(orig_netns_, CLONE_NEWNET), 0);
      close(orig_netns_);
      orig_netns_ = -1;
    }
  }

  void SetUp() override {
    if (!ready_) GTEST_SKIP() << "set-up failed";
    auto fw = Firewall::open(kTable, Firewall::Stale::Flush);
    ASSERT_TRUE(fw) << fw.error().str();
    fw_ = std::move(*fw);
  }
  void TearDown() override {
    if (fw_) EXPECT_TRUE(fw_->destroy());
    EXPECT_FALSE(table_listed());
  }

  void add_networks(bool internal1 = false) {
    auto a = fw_->add_network("btnf0", "10.202.0.1/24", false);
    ASSERT_TRUE(a) << a.error().str();
    auto b = fw_->add_network("btnf1", "10.202.1.0/24", internal1);
    ASSERT_TRUE(b) << b.error().str();
  }

  std::unique_ptr<Firewall> fw_;
};

TEST_F(FirewallTest, OpenIsIdempotentKeepsRulesAndRebuildsStale) {
  EXPECT_TRUE(table_listed());
  add_networks();
  auto res = reserve_ports({{"", 18080, 0, 80, Proto::Tcp}});
  ASSERT_TRUE(res) << res.error().str();
  ASSERT_TRUE(fw_->add_ports(kOwner, "10.202.0.2", "btnf0", res->bindings()));

  // A second open (a restarted daemon) keeps the rules of running containers.
  auto again = Firewall::open(kTable);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ((*again)->owners().value(), std::vector<std::string>{kOwner});
  EXPECT_EQ((*again)->networks().value(), (std::vector<std::string>{"btnf0", "btnf1"}));

  // A damaged table (a base rule gone) is rebuilt empty.
  ASSERT_EQ(sh("nft flush chain ip " + kTable + " prerouting").rc, 0);
  auto rebuilt = Firewall::open(kTable);
  ASSERT_TRUE(rebuilt) << rebuilt.error().str();
  EXPECT_TRUE((*rebuilt)->owners().value().empty());
  EXPECT_NE(sh("nft list chain ip " + kTable + " prerouting").out.find("jump ports"), std::string::npos);

  // Stale::Flush empties a good table too.
  ASSERT_TRUE(fw_->add_ports(kOwner, "10.202.0.2", "btnf0", res->bindings()));
  auto flushed = Firewall::open(kTable, Firewall::Stale::Flush);
  ASSERT_TRUE(flushed);
  EXPECT_TRUE((*flushed)->owners().value().empty());

  EXPECT_FALSE(Firewall::open("bad name"));
  EXPECT_FALSE(fw_->add_network("btnf0", "10.202.0.0/33", false));
  EXPECT_FALSE(fw_->add_network("bad\"name", "10.202.0.0/24", false));
  EXPECT_FALSE(fw_->add_ports("bad owner", "10.202.0.2", "btnf0", res->bindings()));
  EXPECT_FALSE(fw_->add_ports(kOwner, "10.202.0.2", "btnf0", {{"", 0, 0, 80, Proto::Tcp}}));
}

TEST_F(FirewallTest, PublishedPortAnswersOnLoopbackBridgeAndHairpin) {
  add_networks();
  EXPECT_EQ(sh("cat /proc/sys/net/ipv4/ip_forward").out, "1\n");
  // Nothing published yet.
  EXPECT_NE(get_rc("", "http://127.0.0.1:18080/"), 0);

  auto res = reserve_ports({{"", 18080, 0, 80, Proto::Tcp}, {"", 18053, 0, 53, Proto::Udp}});
  ASSERT_TRUE(res) << res.error().str();
  auto t0 = std::chrono::steady_clock::now();
  auto added = fw_->add_ports(kOwner, "10.202.0.2", "btnf0", res->bindings());
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(added) << added.error().str();
  std::printf("add_ports (2 bindings, first): %.2f ms\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  EXPECT_EQ(sh("cat /proc/sys/net/ipv4/conf/btnf0/route_localnet").out, "1\n");

  EXPECT_EQ(get("", "http://127.0.0.1:18080/"), "hello\n");
  EXPECT_EQ(get("", "http://10.202.0.1:18080/"), "hello\n");
  EXPECT_EQ(get("", "http://10.202.100.1:18080/"), "hello\n");  // any host address
  // From another container of the same network, through the host (hairpin NAT).
  EXPECT_EQ(get(kNs2, "http://10.202.0.1:18080/"), "hello\n");
  // From outside: the outside namespace has no route to 10.202.0.0/24, only to the host.
  EXPECT_EQ(get(kNsOut, "http://10.202.100.1:18080/"), "hello\n");
  // A container of another network reaches the published port through the host.
  EXPECT_EQ(get(kNs1, "http://10.202.1.1:18080/"), "hello\n");
  // The udp rule is there too.
  std::string ports = sh("nft list chain ip " + kTable + " ports").out;
  EXPECT_NE(ports.find("udp dport 18053 dnat to 10.202.0.2:53"), std::string::npos) << ports;
  EXPECT_NE(ports.find("comment \"port:" + kOwner + "\""), std::string::npos) << ports;
  EXPECT_EQ(fw_->owners().value(), std::vector<std::string>{kOwner});

  // Re-adding replaces (a restarted daemon re-applying), and is what the start path pays.
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    auto s = std::chrono::steady_clock::now();
    ASSERT_TRUE(fw_->add_ports(kOwner, "10.202.0.2", "btnf0", res->bindings()));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("add_ports (2 bindings, replacing): median %.2f ms, max %.2f ms\n", ms[10], ms.back());
  auto count = [&] {
    std::string out = sh("nft list chain ip " + kTable + " ports").out;
    size_t n = 0;
    for (size_t p = 0; (p = out.find("dnat to", p)) != std::string::npos; ++p) ++n;
    return n;
  };
  EXPECT_EQ(count(), 2u);
  EXPECT_EQ(get("", "http://127.0.0.1:18080/"), "hello\n");

  auto s = std::chrono::steady_clock::now();
  ASSERT_TRUE(fw_->remove_ports(kOwner));
  std::printf("remove_ports: %.2f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  EXPECT_EQ(count(), 0u);
  EXPECT_TRUE(fw_->owners().value().empty());
  EXPECT_TRUE(fw_->remove_ports(kOwner));  // nothing left: fine
  // The reservation socket does not listen: refused (curl 7), not hanging.
  EXPECT_EQ(get_rc("", "http://127.0.0.1:18080/"), 7);
  EXPECT_EQ(get_rc("", "http://10.202.0.1:18080/"), 7);

  // A binding on one host address only.
  res->release();
  auto lo_only = reserve_ports({{"127.0.0.1", 18080, 0, 80, Proto::Tcp}});
  ASSERT_TRUE(lo_only) << lo_only.error().str();
  ASSERT_TRUE(fw_->add_ports(kOwner, "10.202.0.2", "btnf0", lo_only->bindings()));
  EXPECT_EQ(get("", "http://127.0.0.1:18080/"), "hello\n");
  EXPECT_EQ(get_rc("", "http://10.202.0.1:18080/"), 7);
}

TEST_F(FirewallTest, IsolationMasqueradeAndInternal) {
  add_networks();
  // Each container reaches its own gateway.
  EXPECT_EQ(sh("ip netns exec " + kNs1 + " busybox ping -c1 -W1 10.202.1.1").rc, 0);
  EXPECT_EQ(sh("ip netns exec " + kNs0 + " busybox ping -c1 -W1 10.202.0.1").rc, 0);
  // Bridge to bridge: dropped (timeout, not refused).
  EXPECT_EQ(get_rc(kNs1, "http://10.202.0.2/"), 28);
  EXPECT_NE(sh("ip netns exec " + kNs1 + " busybox ping -c1 -W1 10.202.0.2").rc, 0);
  // Outside to a container directly (were it routed): dropped.
  ASSERT_TRUE(must("ip -n " + kNsOut + " route add 10.202.0.0/24 via 10.202.100.1"));
  EXPECT_EQ(get_rc(kNsOut, "http://10.202.0.2/"), 28);
  ASSERT_TRUE(must("ip -n " + kNsOut + " route del 10.202.0.0/24 via 10.202.100.1"));
  // Outbound: masqueraded to the host's address on the way out.
  EXPECT_EQ(addr_seen(kNs0), "10.202.100.1");

  // Internal network: nothing leaves, nothing enters, not even published ports.
  ASSERT_TRUE(fw_->add_network("btnf1", "10.202.1.0/24", true));
  auto res = reserve_ports({{"", 18080, 0, 80, Proto::Tcp}});
  ASSERT_TRUE(res);
  ASSERT_TRUE(fw_->add_ports(kOwner, "10.202.0.2", "btnf0", res->bindings()));
  // A container reaching its own published port (hairpin).
  EXPECT_EQ(get(kNs0, "http://10.202.0.1:18080/"), "hello\n");
  EXPECT_EQ(get(kNs2, "http://10.202.0.1:18080/"), "hello\n");
  EXPECT_EQ(get_rc(kNs1, "http://10.202.1.1:18080/"), 28);
  EXPECT_EQ(get_rc(kNs1, "http://10.202.100.2/"), 28);
  EXPECT_EQ(sh("ip netns exec " + kNs1 + " busybox ping -c1 -W1 10.202.1.1").rc, 0);  // its gateway: yes
  // Back to a normal network: outbound works again (rules replaced, not added).
  ASSERT_TRUE(fw_->add_network("btnf1", "10.202.1.0/24", false));
  EXPECT_EQ(addr_seen(kNs1), "10.202.100.1");

  ASSERT_TRUE(fw_->remove_network("btnf1"));
  EXPECT_EQ(fw_->networks().value(), std::vector<std::string>{"btnf0"});
  std::string all = sh("nft list table ip " + kTable).out;
  EXPECT_EQ(all.find("btnf1"), std::string::npos) << all;
}

TEST_F(FirewallTest, PortInUseIsRefusedWithDockersMessage) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(18080);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto r = reserve_ports({{"", 18080, 0, 80, Proto::Tcp}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict);
  EXPECT_EQ(r.error().message, "Bind for 0.0.0.0:18080 failed: port is already allocated");
  auto r2 = reserve_ports({{"10.202.0.1", 18080, 0, 80, Proto::Tcp}});
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().message, "Bind for 10.202.0.1:18080 failed: port is already allocated");
  ::close(fd);
  // An address the host does not have.
  auto r3 = reserve_ports({{"10.202.77.1", 18080, 0, 80, Proto::Tcp}});
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().sys_errno, EADDRNOTAVAIL);
}

}  // namespace
