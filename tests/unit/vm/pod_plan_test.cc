#include "vm/pod_plan.h"

#include <gtest/gtest.h>

namespace berth::vm {
namespace {

bool is_dir(const std::string& p) { return p.find("file") == std::string::npos; }

// What the engine writes for a CRI container of a pod: the pod's namespaces by path.
nlohmann::json pod_container_config() {
  return {{"root", {{"path", "/var/lib/berth/snap/1/rootfs"}}},
          {"process", {{"args", {"sh"}}}},
          {"mounts",
           {{{"destination", "/data"}, {"type", "bind"}, {"source", "/srv/data"}, {"options", {"rbind"}}},
            {{"destination", "/etc/hostname"}, {"type", "bind"}, {"source", "/run/pods/p/hostname-file"},
             {"options", {"rbind"}}},
            {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}}},
          {"linux",
           {{"namespaces",
             {{{"type", "network"}, {"path", "/run/pods/p/net"}},
              {{"type", "ipc"}, {"path", "/run/pods/p/ipc"}},
              {{"type", "uts"}, {"path", "/run/pods/p/uts"}},
              {{"type", "pid"}},
              {{"type", "mount"}}}}}}};
}

TEST(PodPlan, GuestPathsMoveUnderTheContainersDirOfThePodShare) {
  auto plan = plan_guest(pod_container_config(), "/x/files", is_dir);
  ASSERT_TRUE(plan.has_value()) << plan.error().str();
  ASSERT_TRUE(plan_for_pod(*plan, "abc", "mypod").has_value());
  const auto& c = plan->config;
  EXPECT_EQ(c["root"]["path"], "/run/berth-vm/pod/abc/rootfs");
  EXPECT_EQ(c["mounts"][0]["source"], "/run/berth-vm/pod/abc/vol0");
  EXPECT_EQ(c["mounts"][1]["source"], "/run/berth-vm/pod/abc/files/0");
  EXPECT_EQ(c["mounts"][2]["source"], "proc");  // not a share: untouched
}

TEST(PodPlan, ThePodsNamespacesAreTheGuests) {
  auto plan = plan_guest(pod_container_config(), "/x/files", is_dir);
  ASSERT_TRUE(plan.has_value());
  ASSERT_TRUE(plan_for_pod(*plan, "abc", "mypod").has_value());
  std::map<std::string, nlohmann::json> ns;
  for (const auto& n : plan->config["linux"]["namespaces"]) ns[n["type"].get<std::string>()] = n;
  EXPECT_FALSE(ns.count("network"));  // the guest's NIC and lo: the pod's
  EXPECT_FALSE(ns.count("ipc"));      // the pod shares one
  ASSERT_TRUE(ns.count("uts"));
  EXPECT_FALSE(ns["uts"].contains("path"));  // a host path means nothing in the guest
  EXPECT_EQ(plan->config["hostname"], "mypod");
  ASSERT_TRUE(ns.count("pid"));
  EXPECT_TRUE(ns.count("mount"));
  EXPECT_TRUE(ns.count("cgroup"));
  for (const auto& [type, n] : ns) EXPECT_FALSE(n.contains("path")) << type;
}

TEST(PodPlan, RefusesAnIdThatIsNoDirectoryName) {
  for (const char* bad : {"", "a/b", "..", "."}) {
    auto plan = plan_guest(pod_container_config(), "/x/files", is_dir);
    ASSERT_TRUE(plan.has_value());
    EXPECT_FALSE(plan_for_pod(*plan, bad, "h").has_value()) << bad;
  }
}

TEST(PodPlan, BindSourceOf) {
  auto c = pod_container_config();
  EXPECT_EQ(bind_source_of(c, "/etc/hostname"), "/run/pods/p/hostname-file");
  EXPECT_EQ(bind_source_of(c, "/etc/hosts"), "");
}

}  // namespace
}  // namespace berth::vm
