// userns-remap in the spec: a user namespace with the remap's mappings, and
// what dockerd refuses under remap unless the container opts out.
#include <gtest/gtest.h>

#include "docker_json.h"
#include "model/spec_json.h"
#include "spec/runtime_spec.h"
#include "specgen/specgen.h"
#include "temp_root.h"

namespace berth::specgen {
namespace {

using nlohmann::json;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class UsernsRemap : public ::testing::Test {
 protected:
  UsernsRemap() { root_.write_default_users(); }
  SpecInput input(json host_config) const {
    SpecInput in;
    in.config = testing::must_config(json{{"Cmd", {"sh"}}});
    in.host_config = testing::must_host(host_config);
    in.id = kId;
    in.rootfs = root_.rootfs();
    in.host.ncpus = 2;
    in.host.kernel = "6.1.0";
    return in;
  }
  testing::TempRoot root_;
};

TEST_F(UsernsRemap, MappingsGiveAUserNamespaceFirst) {
  auto in = input(json::object());
  in.uid_mappings = {{0, 165536, 65536}, {65536, 500000, 10}};
  in.gid_mappings = {{0, 165536, 65536}};
  auto spec = build_spec(in);
  ASSERT_TRUE(spec) << spec.error().str();
  auto parsed = spec::parse_spec(spec->dump());
  ASSERT_TRUE(parsed) << parsed.error().str();
  ASSERT_NE(parsed->linux.find_namespace("user"), nullptr);
  EXPECT_EQ((*spec)["linux"]["namespaces"][0], json({{"type", "user"}}));
  ASSERT_EQ(parsed->linux.uid_mappings.size(), 2u);
  EXPECT_EQ(parsed->linux.uid_mappings[1].container_id, 65536u);
  EXPECT_EQ(parsed->linux.uid_mappings[1].host_id, 500000u);
  EXPECT_EQ(parsed->linux.uid_mappings[1].size, 10u);
  ASSERT_EQ(parsed->linux.gid_mappings.size(), 1u);
  EXPECT_EQ(parsed->linux.gid_mappings[0].host_id, 165536u);
  // The process's ids stay the container's own: the kernel maps them.
  EXPECT_EQ((*spec)["process"]["user"]["uid"], 0);
}

TEST_F(UsernsRemap, WithoutMappingsNoUserNamespace) {
  auto spec = build_spec(input(json::object()));
  ASSERT_TRUE(spec) << spec.error().str();
  for (const auto& n : (*spec)["linux"]["namespaces"]) EXPECT_NE(n["type"], "user");
  EXPECT_FALSE((*spec)["linux"].contains("uidMappings"));
}

TEST_F(UsernsRemap, DockerdRefusalsUnlessUsernsHost) {
  HostInfo host;
  host.ncpus = 2;
  host.userns_remap = true;
  auto check = [&](json hc) {
    model::ContainerSpec s;
    s.config.image = "busybox";
    s.host = testing::must_host(hc);
    return validate(s, host);
  };
  auto privileged = check(json{{"Privileged", true}});
  ASSERT_FALSE(privileged);
  EXPECT_EQ(privileged.error().message,
            "privileged mode is incompatible with user namespaces.  You must run the container in the host "
            "namespace when running privileged mode");
  auto net = check(json{{"NetworkMode", "host"}});
  ASSERT_FALSE(net);
  EXPECT_EQ(net.error().message, "cannot share the host's network namespace when user namespaces are enabled");
  auto pid = check(json{{"PidMode", "host"}});
  ASSERT_FALSE(pid);
  EXPECT_EQ(pid.error().message, "cannot share the host PID namespace when user namespaces are enabled");
  EXPECT_TRUE(check(json{{"Privileged", true}, {"UsernsMode", "host"}}));
  EXPECT_TRUE(check(json{{"NetworkMode", "host"}, {"UsernsMode", "host"}}));
  host.userns_remap = false;
  EXPECT_TRUE(check(json{{"Privileged", true}}));
}

TEST(UsernsMode, ParsedAndStored) {
  auto host = testing::must_host(json{{"UsernsMode", "host"}});
  EXPECT_TRUE(host.userns_host);
  model::ContainerSpec s;
  s.config.image = "x";
  s.host = host;
  auto back = model::spec_from_json(json::parse(model::spec_to_json(s).dump()));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->host.userns_host);
  EXPECT_FALSE(testing::must_host(json::object()).userns_host);
}

}  // namespace
}  // namespace berth::specgen
