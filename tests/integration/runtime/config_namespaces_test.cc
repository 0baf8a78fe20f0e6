// linux.namespaces (new and joined by path), uidMappings/gidMappings and
// timeOffsets, compared between the inside and the host.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "runtime/config_helpers.h"

using namespace berth::testing;
using namespace berth::testing::cfg;

namespace {

const char* const kNsNames[] = {"pid", "net", "mnt", "ipc", "uts", "cgroup"};

// "net:[4026531840]" for each name, as printed by the container's script below.
std::map<std::string, std::string> parse_ns(const std::string& out) {
  std::map<std::string, std::string> m;
  for (const auto& l : lines_of(out)) {
    auto colon = l.find(':');
    if (colon != std::string::npos && l.find(":[") == colon) m[l.substr(0, colon)] = l;
  }
  return m;
}

std::string host_ns(const std::string& pid, const std::string& name) {
  std::string target = std::filesystem::read_symlink("/proc/" + pid + "/ns/" + name).string();
  return target;
}

const char kPrintNs[] = "for n in pid net mnt ipc uts cgroup; do readlink /proc/self/ns/$n; done";

}  // namespace

TEST(ConfigNamespaces, EachConfiguredNamespaceIsNew) {
  Bundle b;
  b.set_args({"sh", "-c", std::string(kPrintNs) + "; echo pid=$$"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto inside = parse_ns(r.out);
  for (const char* n : kNsNames) {
    ASSERT_TRUE(inside.count(n)) << n << " missing in " << r.out;
    EXPECT_NE(inside[n], host_ns("self", n)) << n << " namespace is the host's";
  }
  EXPECT_NE(r.out.find("pid=1\n"), std::string::npos) << r.out;
}

TEST(ConfigNamespaces, NamespacesNotConfiguredAreTheHosts) {
  Bundle b;
  for (const char* t : {"pid", "network", "ipc", "uts", "cgroup"}) drop_namespace(b.config(), t);
  b.config().erase("hostname");
  b.set_args({"sh", "-c", kPrintNs});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto inside = parse_ns(r.out);
  for (const char* n : {"pid", "net", "ipc", "uts", "cgroup"}) EXPECT_EQ(inside[n], host_ns("self", n)) << n;
  EXPECT_NE(inside["mnt"], host_ns("self", "mnt"));
}

TEST(ConfigNamespaces, JoinNamespacesByPath) {
  Bundle a;
  a.config()["hostname"] = "container-a";
  a.set_args({"sleep", "30"});
  std::string id_a = a.unique_id("ns-a");
  int pid_a = run_detached(a, id_a);
  ASSERT_GT(pid_a, 0);
  std::string pa = std::to_string(pid_a);

  Bundle b;
  b.config().erase("hostname");  // the uts namespace is A's
  for (const char* t : {"network", "ipc", "uts", "pid"}) {
    std::string file = std::string(t) == "network" ? "net" : t;
    set_namespace(b.config(), t, "/proc/" + pa + "/ns/" + file);
  }
  b.set_args({"sh", "-c", std::string(kPrintNs) + "; hostname; tr '\\0' ' ' < /proc/1/cmdline; echo"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto inside = parse_ns(r.out);
  for (const char* n : {"net", "ipc", "uts", "pid"}) EXPECT_EQ(inside[n], host_ns(pa, n)) << n;
  // Not joined: its own.
  EXPECT_NE(inside["mnt"], host_ns(pa, "mnt"));
  EXPECT_NE(inside["cgroup"], host_ns(pa, "cgroup"));
  EXPECT_NE(r.out.find("container-a\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sleep 30 \n"), std::string::npos) << "pid 1 is A's process: " << r.out;
  a.runtime({"delete", "--force", id_a});
}

TEST(ConfigNamespaces, JoinMissingNamespacePathFails) {
  Bundle b;
  set_namespace(b.config(), "network", "/proc/999999999/ns/net");
  auto r = b.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("/proc/999999999/ns/net"), std::string::npos) << r.err;
}

TEST(ConfigNamespaces, UserNamespaceWithMappings) {
  const unsigned kBase = 200000;
  Bundle b;
  // The mapped root must be able to reach and write its rootfs.
  ::chmod(b.dir().c_str(), 0755);
  ASSERT_EQ(run_command({"/bin/chown", "-R", std::to_string(kBase) + ":" + std::to_string(kBase), b.rootfs()}).status, 0);
  set_namespace(b.config(), "user");
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", kBase}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kBase}, {"size", 65536}}};
  for (const char* set : {"bounding", "effective", "permitted"})
    b.config()["process"]["capabilities"][set].push_back("CAP_CHOWN");  // root in its namespace may chown
  b.set_args({"sh", "-c",
              "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/by-root; "
              "chown 1000:1000 /tmp/by-root 2>&1 && echo chowned; readlink /proc/self/ns/user"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto l = lines_of(r.out);
  ASSERT_EQ(l.size(), 6u) << r.out;
  EXPECT_EQ(l[0], "0");
  EXPECT_EQ(l[1], "0");
  // uid_map columns: inside, outside, count (right-aligned).
  std::istringstream um(l[2]), gm(l[3]);
  unsigned in_id, out_id, count;
  um >> in_id >> out_id >> count;
  EXPECT_EQ(in_id, 0u);
  EXPECT_EQ(out_id, kBase);
  EXPECT_EQ(count, 65536u);
  gm >> in_id >> out_id >> count;
  EXPECT_EQ(out_id, kBase) << l[3];
  EXPECT_EQ(l[4], "chowned");
  EXPECT_NE(l[5], host_ns("self", "user"));
  struct stat st{};
  ASSERT_EQ(::stat((b.rootfs() + "/tmp/by-root").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kBase + 1000) << "container uid 1000 is host uid base+1000";
  EXPECT_EQ(st.st_gid, kBase + 1000);
}

TEST(ConfigNamespaces, UserNamespaceNonRootUser) {
  const unsigned kBase = 300000;
  Bundle b;
  ::chmod(b.dir().c_str(), 0755);
  ASSERT_EQ(run_command({"/bin/chown", "-R", std::to_string(kBase) + ":" + std::to_string(kBase), b.rootfs()}).status, 0);
  set_namespace(b.config(), "user");
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", kBase}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kBase}, {"size", 65536}}};
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.set_args({"sh", "-c", "id -u; touch /tmp/by-app; echo rc=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1000\nrc=0\n");
  struct stat st{};
  ASSERT_EQ(::stat((b.rootfs() + "/tmp/by-app").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kBase + 1000);
}

// userns-remap's case: a new user namespace in a network (and uts)
// namespace its parent's user namespace owns, given by path. The runtime
// joins those around the clone; the process's oomScoreAdj is written for it
// (its own /proc/self files stay the host root's); exec joins the same way.
TEST(ConfigNamespaces, UserNamespaceJoinsHostOwnedNamespacesByPath) {
  const unsigned kBase = 400000;
  Bundle a;
  a.config()["hostname"] = "holder";
  a.set_args({"sleep", "30"});
  std::string id_a = a.unique_id("holder");
  int pid_a = run_detached(a, id_a);
  ASSERT_GT(pid_a, 0);
  std::string pa = std::to_string(pid_a);

  Bundle b;
  ::chmod(b.dir().c_str(), 0755);
  ASSERT_EQ(run_command({"/bin/chown", "-R", std::to_string(kBase) + ":" + std::to_string(kBase), b.rootfs()}).status, 0);
  set_namespace(b.config(), "user");
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", kBase}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", kBase}, {"size", 65536}}};
  b.config().erase("hostname");
  for (const char* t : {"network", "uts"})
    set_namespace(b.config(), t, "/proc/" + pa + "/ns/" + (std::string(t) == "network" ? "net" : t));
  b.config()["process"]["oomScoreAdj"] = 123;
  b.set_args({"sleep", "30"});
  std::string runtime_net = host_ns("self", "net");
  std::string id_b = b.unique_id("joiner");
  int pid_b = run_detached(b, id_b);
  ASSERT_GT(pid_b, 0);
  std::string pb = std::to_string(pid_b);
  for (const char* n : {"net", "uts"}) EXPECT_EQ(host_ns(pb, n), host_ns(pa, n)) << n;
  EXPECT_NE(host_ns(pb, "user"), host_ns("self", "user"));
  EXPECT_EQ(slurp("/proc/" + pb + "/oom_score_adj"), "123\n");
  EXPECT_EQ(host_ns("self", "net"), runtime_net);

  auto e = b.runtime({"exec", id_b, "sh", "-c", "id -u; readlink /proc/self/ns/net; hostname"});
  ASSERT_EQ(e.status, 0) << e.err;
  auto l = lines_of(e.out);
  ASSERT_EQ(l.size(), 3u) << e.out;
  EXPECT_EQ(l[0], "0");
  EXPECT_EQ(l[1], host_ns(pa, "net"));
  EXPECT_EQ(l[2], "holder");
  b.runtime({"delete", "--force", id_b});
  a.runtime({"delete", "--force", id_a});
}

// A mount namespace by path cannot be combined with a new user namespace.
TEST(ConfigNamespaces, UserNamespaceWithMountNamespaceByPathIsRefused) {
  Bundle b;
  set_namespace(b.config(), "user");
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 400000}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 400000}, {"size", 65536}}};
  set_namespace(b.config(), "mount", "/proc/self/ns/mnt");
  auto r = b.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("joining a mount or user namespace by path while creating a new user namespace"),
            std::string::npos) << r.err;
}

TEST(ConfigNamespaces, TimeNamespaceOffsets) {
  if (::access("/proc/self/ns/time", F_OK) != 0) GTEST_SKIP() << "no time namespaces in this kernel";
  const long long kShift = 10LL * 86400;
  Bundle b;
  set_namespace(b.config(), "time");
  b.config()["linux"]["timeOffsets"] = {{"monotonic", {{"secs", kShift}, {"nanosecs", 0}}},
                                        {"boottime", {{"secs", kShift}, {"nanosecs", 0}}}};
  b.set_args({"sh", "-c", "cat /proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime; readlink /proc/self/ns/time"});
  double host_uptime = std::stod(slurp("/proc/uptime"));
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto l = lines_of(r.out);
  ASSERT_EQ(l.size(), 4u) << r.out;
  // Each line: clock name (or id), seconds, nanoseconds.
  auto offset_of = [&](const std::string& clock, const std::string& id) {
    for (int i = 0; i < 2; ++i) {
      std::istringstream in(l[i]);
      std::string name;
      long long secs = 0;
      in >> name >> secs;
      if (name == clock || name == id) return secs;
    }
    return -1LL;
  };
  EXPECT_EQ(offset_of("monotonic", "1"), kShift) << r.out;
  EXPECT_EQ(offset_of("boottime", "7"), kShift) << r.out;
  double inside_uptime = std::stod(l[2]);
  EXPECT_GE(inside_uptime, host_uptime + kShift - 1) << r.out;
  EXPECT_LT(inside_uptime, host_uptime + kShift + 60) << r.out;
  EXPECT_NE(l[3], host_ns("self", "time"));
}

TEST(ConfigNamespaces, TimeOffsetsWithoutTimeNamespaceAreRefused) {
  Bundle b;
  b.config()["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 100}, {"nanosecs", 0}}}};
  auto r = b.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("timeOffsets"), std::string::npos) << r.err;
}
