#include "vm/guest_config.h"

#include <gtest/gtest.h>

namespace berth::vm {
namespace {

bool dirs_end_in_slash_d(const std::string& p) { return p.size() > 2 && p.compare(p.size() - 2, 2, "/d") == 0; }

nlohmann::json base() {
  return nlohmann::json::parse(R"({
    "process": {"terminal": true, "args": ["sh"]},
    "root": {"path": "/host/rootfs", "readonly": false},
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/data", "type": "bind", "source": "/vol/d", "options": ["rbind", "ro"]},
      {"destination": "/etc/hosts", "type": "bind", "source": "/c/hosts", "options": ["rbind"]}
    ],
    "hooks": {"prestart": []},
    "linux": {"cgroupsPath": "/berth/x",
              "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "network", "path": "/run/netns/x"}],
              "resources": {"memory": {"limit": 268435456}, "cpu": {"quota": 150000, "period": 100000},
                            "pids": {"limit": 10}}}
  })");
}

TEST(PlanGuest, SharesRootfsDirectoriesAndCopiesFiles) {
  auto p = plan_guest(base(), "/state/files", dirs_end_in_slash_d);
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_EQ(p->shares.size(), 3u);
  EXPECT_EQ(p->shares[0].tag, "rootfs");
  EXPECT_EQ(p->shares[0].host_dir, "/host/rootfs");
  EXPECT_EQ(p->config["root"]["path"], kGuestRoot);
  EXPECT_EQ(p->shares[1].tag, "vol0");
  EXPECT_TRUE(p->shares[1].readonly);
  EXPECT_EQ(p->config["mounts"][1]["source"], "/run/berth-vm/shares/vol0");
  EXPECT_EQ(p->shares[2].tag, kFilesTag);
  EXPECT_EQ(p->shares[2].host_dir, "/state/files");
  ASSERT_EQ(p->files.size(), 1u);
  EXPECT_EQ(p->files[0].host_path, "/c/hosts");
  EXPECT_EQ(p->config["mounts"][2]["source"], "/run/berth-vm/shares/files/0");
  EXPECT_EQ(p->config["mounts"][0]["source"], "proc");  // not a bind: the guest makes it
  EXPECT_TRUE(p->terminal);
}

TEST(PlanGuest, NetworkNamespaceAndLimitsBecomeTheVm) {
  auto p = plan_guest(base(), "/f", dirs_end_in_slash_d);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->netns_path, "/run/netns/x");
  for (const auto& ns : p->config["linux"]["namespaces"]) EXPECT_NE(ns["type"], "network");
  EXPECT_EQ(p->memory_limit, 268435456);
  EXPECT_EQ(p->cpu_quota, 150000);
  EXPECT_EQ(p->cpu_period, 100000u);
  EXPECT_FALSE(p->config["linux"]["resources"].contains("memory"));
  EXPECT_FALSE(p->config["linux"]["resources"].contains("cpu"));
  EXPECT_EQ(p->config["linux"]["resources"]["pids"]["limit"], 10);
  EXPECT_EQ(p->config["linux"]["namespaces"].back(), nlohmann::json({{"type", "cgroup"}}));
  EXPECT_FALSE(p->config.contains("hooks"));
}

TEST(PlanGuest, NeedsARoot) {
  auto c = base();
  c.erase("root");
  EXPECT_EQ(plan_guest(c, "/f", dirs_end_in_slash_d).error().code, Errc::InvalidArgument);
  EXPECT_FALSE(plan_guest(nlohmann::json::array(), "/f", dirs_end_in_slash_d));
}

TEST(VmRefusal, HostNamespacesAndDevicesSayWhy) {
  EXPECT_EQ(vm_refusal(base()), "");
  auto c = base();
  c["linux"]["namespaces"] = nlohmann::json::parse(R"([{"type":"pid"},{"type":"ipc"}])");
  EXPECT_NE(vm_refusal(c).find("--network host"), std::string::npos);
  c = base();
  c["linux"]["namespaces"] = nlohmann::json::parse(R"([{"type":"network"},{"type":"ipc"}])");
  EXPECT_NE(vm_refusal(c).find("--pid host"), std::string::npos);
  c = base();
  c["linux"]["namespaces"] = nlohmann::json::parse(R"([{"type":"network"},{"type":"pid"}])");
  EXPECT_NE(vm_refusal(c).find("--ipc host"), std::string::npos);
  c = base();
  c["linux"]["devices"] = nlohmann::json::parse(R"([{"path":"/dev/null"},{"path":"/dev/sda"}])");
  auto why = vm_refusal(c);
  EXPECT_NE(why.find("--device /dev/sda"), std::string::npos);
  EXPECT_NE(why.find("VFIO"), std::string::npos);
}

}  // namespace
}  // namespace berth::vm
