// What a task sends its shim: the exec's process and an update's resources.
#include <gtest/gtest.h>

#include "spec/runtime_spec.h"
#include "task/oci_json.h"

using namespace berth;
using namespace berth::task;

namespace {

const char* kConfig = R"({
  "ociVersion": "1.0.2",
  "process": {"terminal": false, "consoleSize": {"height": 1, "width": 2}, "user": {"uid": 0, "gid": 0},
              "args": ["sleep", "1d"], "env": ["PATH=/bin", "HOME=/root", "A=1"], "cwd": "/",
              "capabilities": {"bounding": ["CAP_KILL"]}, "noNewPrivileges": true},
  "root": {"path": "/rootfs"}
})";

TEST(ExecProcess, TheContainersProcessWithTheExecsSettings) {
  ExecRequest r;
  r.exec_id = "e1";
  r.args = {"sh", "-c", "echo hi"};
  r.env = {"A=2", "NEW=x"};
  r.cwd = "/tmp";
  r.user = ProcessUser{1000, 100, {10, 11}};
  r.tty = true;
  auto p = exec_process_json(kConfig, r);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)["args"], nlohmann::json({"sh", "-c", "echo hi"}));
  EXPECT_EQ((*p)["terminal"], true);
  EXPECT_FALSE(p->contains("consoleSize")) << "the exec's terminal is sized by resize";
  EXPECT_EQ((*p)["env"], nlohmann::json({"PATH=/bin", "HOME=/root", "A=2", "NEW=x"}));
  EXPECT_EQ((*p)["cwd"], "/tmp");
  EXPECT_EQ((*p)["user"], (nlohmann::json{{"uid", 1000}, {"gid", 100}, {"additionalGids", {10, 11}}}));
  // The container's other settings stay.
  EXPECT_EQ((*p)["noNewPrivileges"], true);
  EXPECT_EQ((*p)["capabilities"]["bounding"], nlohmann::json({"CAP_KILL"}));
  // The runtime can read it.
  EXPECT_TRUE(spec::parse_process(p->dump())) << p->dump();
}

TEST(ExecProcess, UnsetFieldsAreTheContainers) {
  ExecRequest r;
  r.exec_id = "e1";
  r.args = {"ls"};
  auto p = exec_process_json(kConfig, r).value();
  EXPECT_EQ(p["cwd"], "/");
  EXPECT_EQ(p["user"], (nlohmann::json{{"uid", 0}, {"gid", 0}}));
  EXPECT_EQ(p["env"], nlohmann::json({"PATH=/bin", "HOME=/root", "A=1"}));
  EXPECT_EQ(p["terminal"], false);
}

TEST(ExecProcess, Refused) {
  ExecRequest r;
  r.exec_id = "e1";
  EXPECT_EQ(exec_process_json(kConfig, r).error().code, Errc::InvalidArgument) << "no command";
  r.args = {"ls"};
  EXPECT_EQ(exec_process_json("not json", r).error().code, Errc::Internal);
  EXPECT_EQ(exec_process_json(R"({"root":{}})", r).error().code, Errc::Internal);
}

TEST(Resources, OnlyTheFieldsSetAsOciReadsThem) {
  ResourceUpdate u;
  EXPECT_EQ(resources_json(u), nlohmann::json::object());
  u.memory = 64 << 20;
  u.memory_swap = 128 << 20;
  u.cpu_shares = 512;
  u.cpu_quota = 50000;
  u.cpu_period = 100000;
  u.cpuset_cpus = "0";
  u.pids_limit = 50;
  u.blkio_weight = 300;
  auto j = resources_json(u);
  EXPECT_EQ(j, (nlohmann::json{{"memory", {{"limit", 64 << 20}, {"swap", 128 << 20}}},
                               {"cpu", {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}}},
                               {"pids", {{"limit", 50}}},
                               {"blockIO", {{"weight", 300}}}}));
  auto res = spec::parse_resources(j.dump());
  ASSERT_TRUE(res) << res.error().str();
  EXPECT_EQ(res->memory->limit, 64 << 20);
  EXPECT_EQ(res->pids->limit, 50);
  EXPECT_EQ(*res->block_io->weight, 300);
}

}  // namespace
