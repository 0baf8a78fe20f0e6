// The single-node config set-up installs (packaging/cni/10-berth.conflist).
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "cni/cni.h"
#include "cni/config.h"
#include "fake_plugins.h"

namespace berth::cni {
namespace {

const std::string kDefault = std::string(BERTH_CNI_PACKAGING) + "/10-berth.conflist";

TEST(CniDefaultConfig, IsABridgeWithHostLocalThenPortmap) {
  auto list = load_network_file(kDefault);
  ASSERT_TRUE(list) << list.error().str();
  EXPECT_EQ(list->name, "berth");
  ASSERT_EQ(list->plugins.size(), 2u);  // no loopback: the pod side brings lo up itself
  const auto& bridge = list->plugins[0];
  EXPECT_EQ(bridge["type"], "bridge");
  EXPECT_EQ(bridge["bridge"], "berth-cni0");
  EXPECT_TRUE(bridge["isGateway"].get<bool>());
  EXPECT_TRUE(bridge["ipMasq"].get<bool>());
  EXPECT_TRUE(bridge["hairpinMode"].get<bool>());
  EXPECT_EQ(bridge["ipam"]["type"], "host-local");
  EXPECT_EQ(bridge["ipam"]["ranges"][0][0]["subnet"], "10.86.0.0/16");
  EXPECT_EQ(bridge["ipam"]["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(list->plugins[1]["type"], "portmap");
  EXPECT_TRUE(list->plugins[1]["capabilities"]["portMappings"].get<bool>());
}

// Debian's plugins accept its cniVersion (asked with VERSION; nothing is set up).
TEST(CniDefaultConfig, IsReadyWithDebiansPlugins) {
  if (::access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "containernetworking-plugins not installed";
  testing::FakeCni dirs;
  std::filesystem::copy_file(kDefault, dirs.dir("conf") + "/10-berth.conflist");
  auto options = dirs.options();
  options.bin_dirs = {"/usr/lib/cni"};
  auto net = Network::open(options);
  ASSERT_TRUE(net);
  auto ready = (*net)->ready();
  EXPECT_TRUE(ready) << ready.error().str();
  EXPECT_EQ((*net)->network_name(), "berth");
}

}  // namespace
}  // namespace berth::cni
