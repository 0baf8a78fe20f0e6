// Namespaces joined by path ("ns:/path", the CRI pods' form): parsed only
// where allowed, stored and loaded back, and turned into the OCI spec's
// linux.namespaces[].path.
#include <gtest/gtest.h>

#include <map>

#include "docker_json.h"
#include "model/spec_json.h"
#include "spec/runtime_spec.h"
#include "specgen/specgen.h"
#include "temp_root.h"

namespace berth::specgen {
namespace {

using nlohmann::json;
using model::NamespaceMode;
using model::NetworkMode;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(NamespacePath, ParsedOnlyWhenAllowed) {
  auto refused = NetworkMode::parse("ns:/run/pods/p1/netns");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::InvalidArgument);
  EXPECT_NE(refused.error().message.find("not available through this API"), std::string::npos)
      << refused.error().message;
  auto ipc = NamespaceMode::parse("ns:/run/pods/p1/ipc", NamespaceMode::Of::Ipc);
  ASSERT_FALSE(ipc);
  EXPECT_NE(ipc.error().message.find("invalid IPC mode"), std::string::npos) << ipc.error().message;

  auto net = NetworkMode::parse("ns:/run/pods/p1/netns", true);
  ASSERT_TRUE(net) << net.error().str();
  EXPECT_EQ(net->kind, NetworkMode::Kind::Path);
  EXPECT_EQ(net->target, "/run/pods/p1/netns");
  EXPECT_EQ(net->str(), "ns:/run/pods/p1/netns");
  EXPECT_FALSE(net->has_own_networks());

  auto uts = NamespaceMode::parse("ns:/run/pods/p1/uts", NamespaceMode::Of::Uts, true);
  ASSERT_TRUE(uts) << uts.error().str();
  EXPECT_TRUE(uts->is_path());
  EXPECT_EQ(uts->target, "/run/pods/p1/uts");
  EXPECT_EQ(uts->str(), "ns:/run/pods/p1/uts");

  auto relative = NetworkMode::parse("ns:netns", true);
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message.find("absolute path"), std::string::npos) << relative.error().message;
  EXPECT_FALSE(NamespaceMode::parse("ns:", NamespaceMode::Of::Pid, true));
}

TEST(NamespacePath, StoredAndLoadedWithTheOwnerNamespace) {
  model::ContainerSpec spec;
  spec.config.image = "busybox";
  spec.ns = "k8s.io";
  spec.host.network_mode = *NetworkMode::parse("ns:/p/netns", true);
  spec.host.ipc_mode = *NamespaceMode::parse("ns:/p/ipc", NamespaceMode::Of::Ipc, true);
  spec.host.pid_mode = *NamespaceMode::parse("host", NamespaceMode::Of::Pid);
  auto back = model::spec_from_json(json::parse(model::spec_to_json(spec).dump()));
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(*back, spec);

  // A record written before `ns` existed loads as Docker's ("").
  json old = model::spec_to_json(spec);
  old.erase("ns");
  auto loaded = model::spec_from_json(old);
  ASSERT_TRUE(loaded) << loaded.error().str();
  EXPECT_EQ(loaded->ns, "");
}

class JoinByPath : public ::testing::Test {
 protected:
  JoinByPath() { root_.write_default_users(); }
  SpecInput input(json host_config) const {
    SpecInput in;
    in.config = testing::must_config(json{{"Cmd", {"sh"}}, {"Hostname", "pod-a"}});
    in.host_config = testing::must_host(host_config);
    in.id = kId;
    in.rootfs = root_.rootfs();
    in.host.ncpus = 2;
    in.host.kernel = "6.1.0";
    return in;
  }
  testing::TempRoot root_;
};

TEST_F(JoinByPath, NamespacesCarryThePath) {
  auto in = input(json::object());
  in.host_config.ipc_mode = *NamespaceMode::parse("ns:/p/ipc", NamespaceMode::Of::Ipc, true);
  in.host_config.uts_mode = *NamespaceMode::parse("ns:/p/uts", NamespaceMode::Of::Uts, true);
  in.host_config.pid_mode = *NamespaceMode::parse("ns:/p/pid", NamespaceMode::Of::Pid, true);
  in.netns_mode = "/p/netns";
  auto spec = build_spec(in);
  ASSERT_TRUE(spec) << spec.error().str();
  ASSERT_TRUE(spec::parse_spec(spec->dump())) << spec->dump(2);
  std::map<std::string, std::string> paths;
  for (const auto& n : (*spec)["linux"]["namespaces"]) paths[n["type"]] = n.value("path", "");
  EXPECT_EQ(paths.at("ipc"), "/p/ipc");
  EXPECT_EQ(paths.at("uts"), "/p/uts");
  EXPECT_EQ(paths.at("pid"), "/p/pid");
  EXPECT_EQ(paths.at("network"), "/p/netns");
  EXPECT_EQ(paths.at("mount"), "");
  // The joined UTS namespace keeps the hostname its holder set.
  EXPECT_FALSE(spec->contains("hostname")) << spec->dump(2);
  bool has_env = false;
  for (const auto& e : (*spec)["process"]["env"]) has_env |= e == "HOSTNAME=pod-a";
  EXPECT_TRUE(has_env);
}

TEST_F(JoinByPath, PrivateModesStayNew) {
  auto in = input(json::object());
  in.host_config.ipc_mode = *NamespaceMode::parse("ns:/p/ipc", NamespaceMode::Of::Ipc, true);
  auto spec = build_spec(in);
  ASSERT_TRUE(spec) << spec.error().str();
  std::map<std::string, std::string> paths;
  for (const auto& n : (*spec)["linux"]["namespaces"]) paths[n["type"]] = n.value("path", "");
  EXPECT_EQ(paths.at("ipc"), "/p/ipc");
  EXPECT_EQ(paths.at("uts"), "");
  EXPECT_EQ(paths.at("pid"), "");
  EXPECT_EQ((*spec)["hostname"], "pod-a");
}

TEST_F(JoinByPath, MappedDevicesGetANodeAndACgroupRule) {
  auto in = input(json::object());
  in.host_config.devices = {{"/dev/null", "/dev/mynull", "rw"}};
  auto spec = build_spec(in);
  ASSERT_TRUE(spec) << spec.error().str();
  ASSERT_TRUE(spec::parse_spec(spec->dump())) << spec->dump(2);
  const auto& dev = (*spec)["linux"]["devices"];
  ASSERT_EQ(dev.size(), 1u);
  EXPECT_EQ(dev[0]["path"], "/dev/mynull");
  EXPECT_EQ(dev[0]["type"], "c");
  EXPECT_EQ(dev[0]["major"], 1);
  EXPECT_EQ(dev[0]["minor"], 3);
  EXPECT_EQ((*spec)["linux"]["resources"]["devices"].back(),
            json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));

  model::ContainerSpec bad;
  bad.config.image = "x";
  bad.host.devices = {{"/etc/passwd", "", "rwm"}};
  auto r = validate(bad, in.host);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "error gathering device information while adding custom device \"/etc/passwd\": not a device node");
  bad.host.devices = {{"/dev/null", "", "rwx"}};
  EXPECT_EQ(validate(bad, in.host).error().message, "adding custom device \"/dev/null\": invalid permissions \"rwx\" (any of r, w, m)");
  bad.host.devices = {{"/dev/none-such", "", "r"}};
  EXPECT_EQ(validate(bad, in.host).error().message, "error gathering device information while adding custom device \"/dev/none-such\": No such file or directory");
}

}  // namespace
}  // namespace berth::specgen
