// Plugin results of each version, converted to the 1.0.0 form and read for the pod's IPs and DNS.
#include "cni/result.h"

#include <gtest/gtest.h>

namespace berth::cni {
namespace {

using nlohmann::json;

TEST(CniResult, Reads100) {
  auto v1 = result_to_v1(json::parse(R"({
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "cni0", "mac": "aa:bb:cc:dd:ee:01"},
                   {"name": "vethx", "mac": "aa:bb:cc:dd:ee:02"},
                   {"name": "eth0", "mac": "aa:bb:cc:dd:ee:03", "sandbox": "/run/netns/x"}],
    "ips": [{"address": "10.86.0.5/16", "gateway": "10.86.0.1", "interface": 2},
            {"address": "fd00::5/64", "interface": 2}],
    "routes": [{"dst": "0.0.0.0/0"}],
    "dns": {"nameservers": ["10.86.0.1"], "search": ["svc.local"]}})"));
  ASSERT_TRUE(v1) << v1.error().str();
  auto r = attach_result_from_v1(*v1);
  ASSERT_EQ(r.ips.size(), 2u);
  EXPECT_EQ(r.ips[0].address, "10.86.0.5/16");
  EXPECT_EQ(r.ips[0].gateway, "10.86.0.1");
  EXPECT_EQ(r.ips[0].version, 4);
  EXPECT_EQ(r.ips[1].version, 6);
  EXPECT_EQ(r.ips[1].gateway, "");
  EXPECT_EQ(r.dns_servers, std::vector<std::string>{"10.86.0.1"});
  EXPECT_EQ(r.dns_searches, std::vector<std::string>{"svc.local"});
  EXPECT_EQ(r.raw["routes"][0]["dst"], "0.0.0.0/0");
}

TEST(CniResult, Converts04And03xDroppingTheIpVersionField) {
  for (const char* version : {"0.4.0", "0.3.1", "0.3.0"}) {
    json in = json::parse(R"({"interfaces":[{"name":"eth0","sandbox":"/x"}],
      "ips":[{"version":"4","address":"10.1.2.3/24","gateway":"10.1.2.1","interface":0}]})");
    in["cniVersion"] = version;
    auto v1 = result_to_v1(in);
    ASSERT_TRUE(v1) << version << ": " << v1.error().str();
    EXPECT_EQ((*v1)["cniVersion"], "1.0.0");
    EXPECT_FALSE((*v1)["ips"][0].contains("version")) << version;
    auto r = attach_result_from_v1(*v1);
    ASSERT_EQ(r.ips.size(), 1u) << version;
    EXPECT_EQ(r.ips[0].address, "10.1.2.3/24");
  }
}

TEST(CniResult, Converts02Ip4Ip6Form) {
  auto v1 = result_to_v1(json::parse(R"({"cniVersion":"0.2.0",
    "ip4":{"ip":"10.9.0.2/16","gateway":"10.9.0.1","routes":[{"dst":"0.0.0.0/0"}]},
    "ip6":{"ip":"fd01::2/64"},
    "dns":{"nameservers":["1.1.1.1"]}})"));
  ASSERT_TRUE(v1) << v1.error().str();
  auto r = attach_result_from_v1(*v1);
  ASSERT_EQ(r.ips.size(), 2u);
  EXPECT_EQ(r.ips[0].address, "10.9.0.2/16");
  EXPECT_EQ(r.ips[0].gateway, "10.9.0.1");
  EXPECT_EQ(r.ips[1].address, "fd01::2/64");
  EXPECT_EQ(r.ips[1].version, 6);
  EXPECT_EQ((*v1)["routes"].size(), 1u);
  EXPECT_EQ(r.dns_servers, std::vector<std::string>{"1.1.1.1"});
}

TEST(CniResult, HostSideAddressesAreNotThePods) {
  auto v1 = result_to_v1(json::parse(R"({"cniVersion":"1.0.0",
    "interfaces":[{"name":"br0"},{"name":"eth0","sandbox":"/x"}],
    "ips":[{"address":"10.0.0.1/24","interface":0},{"address":"10.0.0.2/24","interface":1},{"address":"10.0.0.3/24"}]})"));
  ASSERT_TRUE(v1);
  auto r = attach_result_from_v1(*v1);
  ASSERT_EQ(r.ips.size(), 2u);
  EXPECT_EQ(r.ips[0].address, "10.0.0.2/24");
  EXPECT_EQ(r.ips[1].address, "10.0.0.3/24");
}

TEST(CniResult, RefusesWhatIsNotAResult) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("text")", "not a JSON object"},
      {R"({"ips":[]})", "no \"cniVersion\""},
      {R"({"cniVersion":"7.0.0"})", "\"7.0.0\""},
      {R"({"cniVersion":"1.0.0","ips":{}})", "\"ips\" is not a list"},
      {R"({"cniVersion":"1.0.0","ips":[{"gateway":"1.2.3.4"}]})", "no \"address\""},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]})", "\"10.0.0.300/24\""},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.3/33"}]})", "\"10.0.0.3/33\""},
      {R"({"cniVersion":"0.4.0","ips":[{"address":"10.0.0.3"}]})", "not an address/prefix"},
      {R"({"cniVersion":"0.2.0","ip4":{"gateway":"1.2.3.4"}})", "\"ip4\" has no \"ip\""},
      {R"({"cniVersion":"1.0.0","interfaces":[5]})", "an entry of \"interfaces\" is not an object"},
      {R"({"cniVersion":"1.0.0","interfaces":[{"sandbox":1}]})", "interface's \"sandbox\" is not a string"},
      {R"({"cniVersion":"1.0.0","dns":{"nameservers":"1.1.1.1"}})", "dns \"nameservers\" is not a list"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/8"},"dns":{"search":[1]}})", "dns \"search\" holds a non-string"},
  };
  for (const auto& [doc, why] : cases) {
    auto v1 = result_to_v1(json::parse(doc));
    ASSERT_FALSE(v1) << doc;
    EXPECT_NE(v1.error().message.find(why), std::string::npos) << v1.error().message;
  }
}

}  // namespace
}  // namespace berth::cni
