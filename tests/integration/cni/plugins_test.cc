// berth::cni::Network driving Debian's real plugins (bridge, host-local,
// portmap in /usr/lib/cni) as root: a pod network comes up, the host reaches
// it directly and through a hostPort, and DEL takes everything away again,
// also from the cache alone after the conf dir is gone.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cni/cni.h"
#include "host_helpers.h"

namespace berth::cni {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace testing;

constexpr const char* kPlugins = "/usr/lib/cni";

// The test's own network: bridge bcnit<n>, subnet 10.213.<n>.0/24, IPAM data and cache in a temp dir.
class CniPlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (netns, bridge, iptables)";
    for (const char* p : {"bridge", "host-local", "portmap"})
      if (::access((std::string(kPlugins) + "/" + p).c_str(), X_OK) != 0)
        GTEST_SKIP() << "Debian's containernetworking-plugins are not installed (" << kPlugins << "/" << p << ")";
    char tmpl[] = "/tmp/berth-cni-integ-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (const char* d : {"conf", "cache", "ipam"}) fs::create_directories(root_ + "/" + d);
    nat_before_ = iptables_rules("nat");
  }
  void TearDown() override {
    if (root_.empty()) return;
    netns_.reset();
    extra_netns_.clear();
    if (!bridge_.empty()) delete_bridge(bridge_);
    // What a failed test (or the bridge plugin, see the netns-gone test) left behind.
    std::vector<std::string> ids = {"bcnitestpod0", "bcnitestpod1", "bcnitestpod2"};
    for (int i = 0; i < kParallel; ++i) ids.push_back("bcnitestpar" + std::to_string(i));
    remove_leftover_rules("nat", nat_before_, ids);
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void write_config(int n) {
    bridge_ = "bcnit" + std::to_string(n);
    subnet_prefix_ = "10.213." + std::to_string(n) + ".";
    json conf = {
        {"cniVersion", "1.0.0"},
        {"name", "bcnitest" + std::to_string(n)},
        {"plugins",
         {{{"type", "bridge"},
           {"bridge", bridge_},
           {"isGateway", true},
           {"ipMasq", true},
           {"hairpinMode", true},
           {"ipam",
            {{"type", "host-local"},
             {"dataDir", root_ + "/ipam"},
             {"ranges", {{{{"subnet", subnet_prefix_ + "0/24"}}}}},
             {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
          {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
    std::ofstream(root_ + "/conf/10-bcnitest.conflist") << conf.dump(2);
  }
  std::unique_ptr<Network> open() {
    NetworkOptions options;
    options.conf_dirs = {root_ + "/conf"};
    options.bin_dirs = {kPlugins};
    options.cache_dir = root_ + "/cache";
    options.plugin_timeout = std::chrono::milliseconds(30000);
    auto net = Network::open(options);
    EXPECT_TRUE(net) << net.error().str();
    return std::move(*net);
  }
  void make_netns() {
    netns_ = std::make_unique<TestNetns>(root_ + "/netns");
    ASSERT_TRUE(netns_->ok()) << "could not create a network namespace";
  }
  AttachRequest request(const std::string& id) const {
    AttachRequest r;
    r.container_id = id;
    r.netns_path = netns_->path();
    r.args = {{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", id}};
    return r;
  }
  // The host side of the pod's veth, from the result (an interface with no sandbox, not the bridge).
  std::string host_veth(const AttachResult& r) const {
    for (const auto& i : r.raw.value("interfaces", json::array()))
      if (i.value("sandbox", std::string()).empty() && i.value("name", std::string()) != bridge_)
        return i.value("name", std::string());
    return "";
  }
  std::string lease_file(const std::string& ip) const {
    return root_ + "/ipam/" + "bcnitest" + bridge_.substr(5) + "/" + ip;
  }

  std::string root_, bridge_, subnet_prefix_;
  std::vector<std::string> nat_before_;
  std::unique_ptr<TestNetns> netns_;
  std::vector<std::unique_ptr<TestNetns>> extra_netns_;
  static constexpr int kParallel = 6;
};

std::string address_only(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// Exchanges a byte over a connection to the listener; true when it went through.
bool reaches(int listener, const std::string& ip, int port) {
  int c = connect_tcp(ip, port, 5000);
  if (c < 0) return false;
  int s = accept_one(listener, 5000);
  bool ok = s >= 0 && ::write(c, "x", 1) == 1;
  char b = 0;
  ok = ok && ::read(s, &b, 1) == 1 && b == 'x';
  if (s >= 0) ::close(s);
  ::close(c);
  return ok;
}

TEST_F(CniPlugins, AddGivesThePodAnAddressTheHostReachesAndDelRemovesEverything) {
  write_config(0);
  make_netns();
  auto net = open();
  ASSERT_TRUE(net->ready()) << net->ready().error().str();
  EXPECT_EQ(net->network_name(), "bcnitest0");

  const std::string id = "bcnitestpod0";
  auto req = request(id);
  int host_port = free_host_port();
  req.port_mappings = {{static_cast<uint16_t>(host_port), 8080, "tcp", ""}};
  auto result = net->attach(req);
  ASSERT_TRUE(result) << result.error().str();
  ASSERT_EQ(result->ips.size(), 1u) << result->raw.dump();
  const std::string pod_ip = address_only(result->ips[0].address);
  EXPECT_TRUE(result->ips[0].address.starts_with(subnet_prefix_) && result->ips[0].address.ends_with("/24"))
      << result->ips[0].address;
  EXPECT_EQ(result->ips[0].gateway, subnet_prefix_ + "1");

  // Inside: eth0 with the address. Outside: the bridge, the veth, the lease, the rules.
  std::vector<std::string> inside;
  ASSERT_TRUE(in_netns(netns_->path(), [&] { inside = ipv4_addresses("eth0"); }));
  EXPECT_EQ(inside, std::vector<std::string>{result->ips[0].address});
  EXPECT_TRUE(link_exists(bridge_));
  std::string veth = host_veth(*result);
  ASSERT_FALSE(veth.empty()) << result->raw.dump();
  EXPECT_TRUE(link_exists(veth));
  EXPECT_TRUE(fs::exists(lease_file(pod_ip))) << lease_file(pod_ip);
  EXPECT_FALSE(rules_mentioning("nat", id).empty()) << "no masquerade/DNAT rule names the container";

  int listener = listen_in_netns(netns_->path(), 8080);
  ASSERT_GE(listener, 0);
  EXPECT_TRUE(reaches(listener, pod_ip, 8080)) << "the host cannot connect to " << pod_ip << ":8080";
  // The hostPort through portmap's DNAT: from the host's bridge address (a local
  // address, so the OUTPUT chain's DNAT applies) and from 127.0.0.1 (portmap sets
  // route_localnet on the bridge it routes through, which this test made).
  EXPECT_TRUE(reaches(listener, subnet_prefix_ + "1", host_port))
      << "hostPort " << host_port << " on " << subnet_prefix_ << "1 does not forward to the pod";
  EXPECT_TRUE(reaches(listener, "127.0.0.1", host_port))
      << "hostPort " << host_port << " on 127.0.0.1 does not forward to the pod";
  ::close(listener);

  ASSERT_TRUE(net->detach(request(id))) << "DEL failed";
  EXPECT_FALSE(link_exists(veth)) << veth << " is still there";
  ASSERT_TRUE(in_netns(netns_->path(), [&] { EXPECT_FALSE(link_exists("eth0")); }));
  EXPECT_FALSE(fs::exists(lease_file(pod_ip))) << "the IPAM lease is still there";
  EXPECT_EQ(rules_mentioning("nat", id), std::vector<std::string>{});
  for (const auto& l : iptables_rules("nat")) EXPECT_FALSE(l.starts_with("-N CNI-DN-")) << l;
  EXPECT_TRUE(fs::is_empty(root_ + "/cache"));
  // A second DEL is fine.
  EXPECT_TRUE(net->detach(request(id)));
}

TEST_F(CniPlugins, DelFromTheCacheAloneAfterTheConfDirWentAway) {
  write_config(1);
  make_netns();
  const std::string id = "bcnitestpod1";
  std::string veth, pod_ip;
  {
    auto net = open();
    auto req = request(id);
    req.port_mappings = {{static_cast<uint16_t>(free_host_port()), 80, "tcp", ""}};
    auto result = net->attach(req);
    ASSERT_TRUE(result) << result.error().str();
    veth = host_veth(*result);
    pod_ip = address_only(result->ips.at(0).address);
  }  // berthd "crashes"
  fs::remove_all(root_ + "/conf");  // and the config is gone (or changed) meanwhile
  auto net = open();
  EXPECT_FALSE(net->ready());
  ASSERT_TRUE(link_exists(veth));
  ASSERT_FALSE(rules_mentioning("nat", id).empty());
  auto del = request(id);  // what a restarted daemon knows: the id and the netns
  del.args.clear();
  ASSERT_TRUE(net->detach(del)) << "DEL from the cache failed";
  EXPECT_FALSE(link_exists(veth));
  EXPECT_FALSE(fs::exists(lease_file(pod_ip)));
  EXPECT_EQ(rules_mentioning("nat", id), std::vector<std::string>{});
  EXPECT_TRUE(fs::is_empty(root_ + "/cache"));
}

TEST_F(CniPlugins, DelAfterTheNetnsIsGoneStillReleasesTheLeaseAndThePortRules) {
  write_config(2);
  make_netns();
  const std::string id = "bcnitestpod2";
  auto net = open();
  auto req = request(id);
  req.port_mappings = {{static_cast<uint16_t>(free_host_port()), 80, "tcp", ""}};
  auto result = net->attach(req);
  ASSERT_TRUE(result) << result.error().str();
  std::string veth = host_veth(*result), pod_ip = address_only(result->ips.at(0).address);
  netns_->remove();  // the pod's netns is gone (its veth goes with it, when the kernel gets to it)
  ASSERT_TRUE(net->detach(req));
  EXPECT_FALSE(fs::exists(lease_file(pod_ip)));
  for (const auto& l : rules_mentioning("nat", id))
    EXPECT_EQ(l.find("dnat"), std::string::npos) << "a portmap rule is left: " << l;
  for (const auto& l : iptables_rules("nat")) EXPECT_FALSE(l.starts_with("-N CNI-DN-")) << l;
  // The bridge plugin (1.1.1) finds the addresses whose masquerade rules it removes in the
  // netns, so with the netns gone those stay: DEL before removing the netns, as berth's
  // pod side does. TearDown removes them here.
  EXPECT_TRUE(fs::is_empty(root_ + "/cache"));
}

TEST_F(CniPlugins, PodsStartedTogetherGetAddressesOfTheirOwn) {
  write_config(3);
  auto net = open();
  std::vector<std::string> ips(kParallel);
  std::vector<std::string> errors(kParallel);
  for (int i = 0; i < kParallel; ++i) {
    extra_netns_.push_back(std::make_unique<TestNetns>(root_ + "/netns" + std::to_string(i)));
    ASSERT_TRUE(extra_netns_.back()->ok());
  }
  auto req = [&](int i) {
    AttachRequest r;
    r.container_id = "bcnitestpar" + std::to_string(i);
    r.netns_path = extra_netns_[i]->path();
    r.port_mappings = {{static_cast<uint16_t>(free_host_port()), 80, "tcp", ""}};
    return r;
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i)
    threads.emplace_back([&, i] {
      auto r = net->attach(req(i));
      if (r && !r->ips.empty())
        ips[i] = r->ips[0].address;
      else
        errors[i] = r ? "no address" : r.error().str();
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kParallel; ++i) ASSERT_EQ(errors[i], "") << "pod " << i;
  EXPECT_EQ(std::set<std::string>(ips.begin(), ips.end()).size(), static_cast<size_t>(kParallel));
  threads.clear();
  for (int i = 0; i < kParallel; ++i)
    threads.emplace_back([&, i] {
      auto r = net->detach(req(i));
      if (!r) errors[i] = r.error().str();
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kParallel; ++i) EXPECT_EQ(errors[i], "") << "pod " << i;
  for (int i = 0; i < kParallel; ++i) EXPECT_EQ(rules_mentioning("nat", "bcnitestpar" + std::to_string(i)), std::vector<std::string>{});
  EXPECT_TRUE(fs::is_empty(root_ + "/cache"));
}

}  // namespace
}  // namespace berth::cni
