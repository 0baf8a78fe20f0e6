// --device and --device-cgroup-rule: the OCI nodes and cgroup rules specgen
// makes of them, with dockerd's semantics for directories and its messages.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "specgen/devices.h"

namespace berth::specgen::detail {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

model::DeviceMapping mapping(std::string host, std::string inside = "", std::string perms = "rwm") {
  return model::DeviceMapping{std::move(host), std::move(inside), std::move(perms)};
}

TEST(Devices, ADeviceNodeGivesItsNodeAndAnAllowRule) {
  auto m = mapped_devices({mapping("/dev/null", "/dev/xnull", "rw")});
  ASSERT_TRUE(m) << m.error().str();
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].node["path"], "/dev/xnull");
  EXPECT_EQ((*m)[0].node["type"], "c");
  EXPECT_EQ((*m)[0].node["major"], 1);
  EXPECT_EQ((*m)[0].node["minor"], 3);
  EXPECT_EQ((*m)[0].rule, json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));
}

TEST(Devices, BadMappingsSayWhatIsWrongInDockersWords) {
  auto missing = mapped_devices({mapping("/dev/berth-no-such-device")});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "error gathering device information while adding custom device \"/dev/berth-no-such-device\": No such "
            "file or directory");
  auto file = mapped_devices({mapping("/etc/hostname")});
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message.find("not a device node"), std::string::npos) << file.error().message;
  EXPECT_FALSE(mapped_devices({mapping("dev/null")}));
  EXPECT_FALSE(mapped_devices({mapping("/dev/null", "relative")}));
  auto perms = mapped_devices({mapping("/dev/null", "", "rx")});
  ASSERT_FALSE(perms);
  EXPECT_NE(perms.error().message.find("invalid permissions \"rx\""), std::string::npos);
}

// A directory maps each device node under it to the same place under the
// container path; symlinks in it are not followed (as dockerd's walk).
TEST(Devices, ADirectoryGivesEveryDeviceNodeUnderIt) {
  char tmpl[] = "/tmp/berth-devices-XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl));
  fs::path dir = tmpl;
  struct Cleanup {
    fs::path p;
    ~Cleanup() { fs::remove_all(p); }
  } cleanup{dir};
  fs::create_directories(dir / "sub");
  if (::mknod((dir / "a").c_str(), S_IFCHR | 0620, makedev(1, 3)) != 0) {
    ASSERT_EQ(errno, EPERM);
    GTEST_SKIP() << "mknod needs CAP_MKNOD (CI runs this as root)";
  }
  ASSERT_EQ(::chmod((dir / "a").c_str(), 0620), 0);  // mknod's mode went through the umask
  ASSERT_EQ(::mknod((dir / "sub" / "b").c_str(), S_IFBLK | 0600, makedev(7, 200)), 0);
  fs::create_symlink("/dev/zero", dir / "link");
  { std::ofstream(dir / "plain") << "x"; }

  auto m = mapped_devices({mapping(dir.string(), "/dev/mine", "r")});
  ASSERT_TRUE(m) << m.error().str();
  std::map<std::string, json> by_path;
  for (const auto& d : *m) by_path[d.node["path"]] = json{{"node", d.node}, {"rule", d.rule}};
  ASSERT_EQ(by_path.size(), 2u) << json(m->size()).dump();
  EXPECT_EQ(by_path["/dev/mine/a"]["node"]["type"], "c");
  EXPECT_EQ(by_path["/dev/mine/a"]["node"]["fileMode"], 0620);
  EXPECT_EQ(by_path["/dev/mine/sub/b"]["node"]["type"], "b");
  EXPECT_EQ(by_path["/dev/mine/sub/b"]["rule"],
            json({{"allow", true}, {"type", "b"}, {"major", 7}, {"minor", 200}, {"access", "r"}}));

  fs::remove(dir / "a");
  fs::remove(dir / "sub" / "b");
  auto empty = mapped_devices({mapping(dir.string())});
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("no device nodes"), std::string::npos) << empty.error().message;
}

TEST(Devices, CgroupRulesTakeDockersFormat) {
  auto r = device_cgroup_rules({"c 1:3 rwm", "b *:* r", "a *:* m", "c 189:* rw"});
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0], json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rwm"}}));
  EXPECT_EQ((*r)[1], json({{"allow", true}, {"type", "b"}, {"access", "r"}}));
  EXPECT_EQ((*r)[3], json({{"allow", true}, {"type", "c"}, {"major", 189}, {"access", "rw"}}));
  for (const char* bad : {"c 1:3", "x 1:3 rwm", "c 1-3 rwm", "c a:3 rwm", "c 1:3 rwx", "c  1:3 rwm", "", "c 1:3 rwmr"}) {
    auto e = device_cgroup_rules({bad});
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().message.rfind("invalid device cgroup rule format: '" + std::string(bad) + "'", 0), 0u)
        << e.error().message;
  }
}

}  // namespace
}  // namespace berth::specgen::detail
