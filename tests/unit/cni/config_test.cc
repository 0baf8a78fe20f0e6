// Network config discovery and validation: which file wins, what is refused and why.
#include "cni/config.h"

#include <gtest/gtest.h>

#include "fake_plugins.h"

namespace berth::cni {
namespace {

using nlohmann::json;
using testing::FakeCni;

const char* kList = R"({"cniVersion":"1.0.0","name":"net1","plugins":[{"type":"bridge"},{"type":"portmap"}]})";

TEST(CniConfig, ParsesAList) {
  auto list = parse_network_list(json::parse(kList), "x.conflist");
  ASSERT_TRUE(list) << list.error().str();
  EXPECT_EQ(list->name, "net1");
  EXPECT_EQ(list->cni_version, "1.0.0");
  ASSERT_EQ(list->plugins.size(), 2u);
  EXPECT_EQ(list->plugins[1]["type"], "portmap");
}

TEST(CniConfig, WrapsASinglePluginConfigAsAList) {
  auto list = parse_single_network(
      json::parse(R"({"cniVersion":"0.4.0","name":"one","type":"bridge","bridge":"br9"})"), "10-one.conf");
  ASSERT_TRUE(list) << list.error().str();
  EXPECT_EQ(list->name, "one");
  EXPECT_EQ(list->cni_version, "0.4.0");
  ASSERT_EQ(list->plugins.size(), 1u);
  EXPECT_EQ(list->plugins[0]["bridge"], "br9");
  EXPECT_EQ(list->raw["plugins"][0]["type"], "bridge");
}

struct Bad {
  const char* doc;
  const char* why;  // a part of the message
};

TEST(CniConfig, RefusesInvalidListsSayingWhy) {
  const Bad cases[] = {
      {R"([])", "not a JSON object"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]})", "no \"name\""},
      {R"({"name":"n","plugins":[{"type":"bridge"}]})", "no \"cniVersion\""},
      {R"({"cniVersion":"9.9.9","name":"n","plugins":[{"type":"bridge"}]})", "cniVersion \"9.9.9\""},
      {R"({"cniVersion":"1.0.0","name":"bad name","plugins":[{"type":"bridge"}]})", "network name \"bad name\""},
      {R"({"cniVersion":"1.0.0","name":"n"})", "no \"plugins\" list"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[]})", "\"plugins\" is empty"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"bridge":"x"}]})", "plugins[0] has no \"type\""},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"},{"type":"../sh"}]})",
       "plugins[1]: type \"../sh\" is not a plain binary name"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"p","capabilities":true}]})", "\"capabilities\""},
  };
  for (const auto& c : cases) {
    auto list = parse_network_list(json::parse(c.doc), "f.conflist");
    ASSERT_FALSE(list) << c.doc;
    EXPECT_EQ(list.error().code, Errc::InvalidArgument);
    EXPECT_NE(list.error().message.find(c.why), std::string::npos) << list.error().message;
    EXPECT_NE(list.error().message.find("f.conflist"), std::string::npos) << list.error().message;
  }
}

TEST(CniConfig, ASingleConfigHoldingAListMustBeAConflist) {
  auto list = parse_single_network(json::parse(kList), "10-x.conf");
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message.find("must be named *.conflist"), std::string::npos) << list.error().message;
}

TEST(CniConfig, VersionsCompare) {
  EXPECT_TRUE(version_at_least("0.4.0", "0.4.0"));
  EXPECT_TRUE(version_at_least("1.0.0", "0.4.0"));
  EXPECT_FALSE(version_at_least("0.3.1", "0.4.0"));
  EXPECT_TRUE(version_at_least("0.10.0", "0.4.0"));
}

TEST(CniConfig, NamesFollowLibcnisRules) {
  EXPECT_TRUE(validate_container_id("abc123_x.y-z"));
  EXPECT_FALSE(validate_container_id(""));
  EXPECT_FALSE(validate_container_id("-abc"));
  EXPECT_FALSE(validate_container_id("a/b"));
  EXPECT_TRUE(validate_ifname("eth0"));
  EXPECT_FALSE(validate_ifname("a-name-longer-than15"));
  EXPECT_FALSE(validate_ifname(".."));
  EXPECT_FALSE(validate_ifname("et h0"));
  EXPECT_FALSE(validate_ifname("eth/0"));
}

TEST(CniConfig, TheFirstValidFileByNameWinsAndEveryOtherKindIsIgnored) {
  FakeCni cni;
  cni.write_conf("05-broken.conflist", "{not json");
  cni.write_conf("07-noplugins.conflist", R"({"cniVersion":"1.0.0","name":"x","plugins":[]})");
  cni.write_conf("10-second.conf", R"({"cniVersion":"1.0.0","name":"second","type":"bridge"})");
  cni.write_conf("20-third.conflist", kList);
  cni.write_conf("00-ignored.txt", kList);
  cni.write_conf(".01-hidden.conflist", kList);
  auto files = list_conf_files({cni.dir("conf")});
  ASSERT_EQ(files.size(), 4u);
  EXPECT_TRUE(files[0].path.ends_with("05-broken.conflist"));
  EXPECT_TRUE(files[3].path.ends_with("20-third.conflist"));
  auto scan = scan_conf_files(files);
  ASSERT_EQ(scan.found.size(), 1u);
  EXPECT_EQ(scan.found[0].name, "second");
  ASSERT_EQ(scan.skipped.size(), 2u);
  EXPECT_NE(scan.skipped[0].find("05-broken.conflist: not valid JSON"), std::string::npos) << scan.skipped[0];
  EXPECT_NE(scan.skipped[1].find("\"plugins\" is empty"), std::string::npos) << scan.skipped[1];
}

TEST(CniConfig, JsonFilesAreSinglePluginConfigs) {
  FakeCni cni;
  cni.write_conf("50-a.json", R"({"cniVersion":"0.3.1","name":"fromjson","type":"ptp"})");
  auto scan = scan_conf_files(list_conf_files({cni.dir("conf")}));
  ASSERT_EQ(scan.found.size(), 1u);
  EXPECT_EQ(scan.found[0].name, "fromjson");
  EXPECT_EQ(scan.found[0].plugins[0]["type"], "ptp");
}

TEST(CniConfig, ConfDirsAreTriedInOrder) {
  FakeCni a, b;
  b.write_conf("00-b.conflist", R"({"cniVersion":"1.0.0","name":"b","plugins":[{"type":"x"}]})");
  a.write_conf("99-a.conflist", R"({"cniVersion":"1.0.0","name":"a","plugins":[{"type":"x"}]})");
  auto scan = scan_conf_files(list_conf_files({a.dir("conf"), b.dir("conf"), "/nonexistent-berth-dir"}));
  ASSERT_EQ(scan.found.size(), 1u);
  EXPECT_EQ(scan.found[0].name, "a");
}

}  // namespace
}  // namespace berth::cni
