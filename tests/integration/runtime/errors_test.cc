// Bad input: a one-line message naming what and why, a non-zero exit, and
// nothing left behind (state directory, cgroup, mount).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "support/bundle.h"

using namespace berth::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

void expect_nothing_left(const Bundle& b, const std::string& id) {
  EXPECT_FALSE(fs::exists(b.state_root() + "/" + id)) << "state directory left behind";
  for (const char* ctrl : {"memory", "pids", "cpu", "devices", "freezer"})
    EXPECT_FALSE(fs::exists(std::string("/sys/fs/cgroup/") + ctrl + "/berth/" + id)) << ctrl << " cgroup left behind";
  EXPECT_TRUE(mounts_containing(b.dir()).empty()) << "mount left behind";
}

}  // namespace

TEST(Errors, BrokenConfigJson) {
  Bundle b;
  std::ofstream(b.dir() + "/config.json") << "{\"ociVersion\": \"1.0.2\", ";
  std::string id = b.unique_id();
  auto r = b.runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  expect_nothing_left(b, id);
}

TEST(Errors, WrongFieldTypeNamesTheField) {
  Bundle b;
  b.config()["process"]["user"]["uid"] = "root";
  b.save();
  std::string id = b.unique_id();
  auto r = b.runtime({"run", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("process.user.uid"), std::string::npos) << r.err;
  expect_nothing_left(b, id);
}

TEST(Errors, MissingRootfs) {
  Bundle b;
  b.config()["root"]["path"] = "no-such-rootfs";
  b.save();
  std::string id = b.unique_id();
  auto r = b.runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("rootfs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  expect_nothing_left(b, id);
}

TEST(Errors, UnknownContainerId) {
  Bundle b;
  for (std::vector<std::string> cmd : {std::vector<std::string>{"state", "ghost"}, {"start", "ghost"},
                                       {"kill", "ghost", "KILL"}, {"delete", "ghost"}, {"pause", "ghost"},
                                       {"exec", "ghost", "true"}, {"events", "--stats", "ghost"}}) {
    auto r = b.runtime(cmd);
    EXPECT_NE(r.status, 0) << cmd[0];
    EXPECT_NE(r.err.find("container 'ghost' does not exist"), std::string::npos) << cmd[0] << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
}

TEST(Errors, SecondCreateWithTheSameId) {
  Bundle b;
  b.set_args({"sh", "-c", "echo first > /first"});
  b.save();
  std::string id = b.unique_id();
  ASSERT_EQ(b.runtime({"create", "--bundle", b.dir(), id}).status, 0);
  auto r = b.runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  // The first container is untouched and still starts.
  EXPECT_EQ(json::parse(b.runtime({"state", id}).out)["status"], "created");
  ASSERT_EQ(b.runtime({"start", id}).status, 0);
  for (int i = 0; i < 200 && !fs::exists(b.rootfs() + "/first"); ++i) usleep(10000);
  EXPECT_TRUE(fs::exists(b.rootfs() + "/first"));
}

TEST(Errors, LimitTheKernelRefuses) {
  Bundle b;
  b.config()["linux"]["resources"]["cpu"]["cpus"] = "63";  // no such CPU on this machine
  b.save();
  std::string id = b.unique_id();
  auto r = b.runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("cpuset.cpus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("63"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  expect_nothing_left(b, id);
}

TEST(Errors, ExecutableNotFound) {
  Bundle b;
  b.set_args({"no-such-program"});
  b.save();
  std::string id = b.unique_id();
  auto r = b.runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("exec: \"no-such-program\": executable file not found in $PATH"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  expect_nothing_left(b, id);
}

TEST(Errors, UnsupportedFieldIsNamed) {
  Bundle b;
  b.config()["process"]["apparmorProfile"] = "docker-default";
  b.save();
  std::string id = b.unique_id();
  auto r = b.runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("process.apparmorProfile"), std::string::npos) << r.err;
  expect_nothing_left(b, id);
}

TEST(Errors, SystemdCgroupIsRefusedClearly) {
  Bundle b;
  std::string id = b.unique_id();
  auto r = run_command({runtime_path(), "--systemd-cgroup", "--root", b.state_root(), "create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--systemd-cgroup"), std::string::npos) << r.err;
  expect_nothing_left(b, id);
}
