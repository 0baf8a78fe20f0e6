// Every validation error is InvalidArgument and names the JSON path at fault.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spec/runtime_spec.h"

using namespace berth;
using nlohmann::json;

namespace {

json base_config() {
  return json::parse(R"({
    "ociVersion": "1.0.2",
    "process": {"args": ["sh"], "cwd": "/"},
    "root": {"path": "rootfs"},
    "linux": {}
  })");
}

struct BadCase {
  const char* name;
  const char* patch;   // RFC 7396 merge patch applied to base_config()
  const char* path;    // must appear in the message
  const char* reason;  // and so must this
};

const BadCase kCases[] = {
    // Wrong types.
    {"args_not_array", R"({"process":{"args":"sh"}})", "process.args", "expected an array of strings"},
    {"args_element_not_string", R"({"process":{"args":["sh",1]}})", "process.args", "array of strings"},
    {"terminal_not_bool", R"({"process":{"terminal":"yes"}})", "process.terminal", "expected true or false"},
    {"process_not_object", R"({"process":"sh"})", "process", "expected an object"},
    {"uid_negative", R"({"process":{"user":{"uid":-1}}})", "process.user.uid", "non-negative"},
    {"uid_string", R"({"process":{"user":{"uid":"root"}}})", "process.user.uid", "non-negative integer"},
    {"gid_too_big", R"({"process":{"user":{"gid":4294967296}}})", "process.user.gid", "out of range"},
    {"additional_gid_negative", R"({"process":{"user":{"additionalGids":[1,-1]}}})",
     "process.user.additionalGids[1]", "gid"},
    {"additional_gid_too_big", R"({"process":{"user":{"additionalGids":[4294967296]}}})",
     "process.user.additionalGids[0]", "gid"},
    {"console_size_type", R"({"process":{"consoleSize":{"height":"tall"}}})", "process.consoleSize.height", "integer"},
    {"caps_not_strings", R"({"process":{"capabilities":{"bounding":[1]}}})", "process.capabilities.bounding", "strings"},
    {"root_readonly_type", R"({"root":{"readonly":"yes"}})", "root.readonly", "true or false"},
    {"root_not_object", R"({"root":"rootfs"})", "root", "expected an object"},
    {"hostname_type", R"({"hostname":7})", "hostname", "expected a string"},
    {"mounts_not_array", R"({"mounts":{"destination":"/x"}})", "mounts", "expected an array"},
    {"mount_options_type", R"({"mounts":[{"destination":"/a"},{"destination":"/b","options":"ro"}]})",
     "mounts[1].options", "array of strings"},
    {"annotation_value_type", R"({"annotations":{"a":"b","n":1}})", "annotations", "'n' must be a string"},
    {"sysctl_value_type", R"({"linux":{"sysctl":{"net.ipv4.ip_forward":1}}})", "linux.sysctl", "must be a string"},
    {"linux_not_object", R"({"linux":[]})", "linux", "expected an object"},
    {"memory_limit_string", R"({"linux":{"resources":{"memory":{"limit":"1G"}}}})",
     "linux.resources.memory.limit", "expected an integer"},
    {"memory_limit_float", R"({"linux":{"resources":{"memory":{"limit":1.5}}}})",
     "linux.resources.memory.limit", "expected an integer"},
    {"pids_limit_too_big", R"({"linux":{"resources":{"pids":{"limit":18446744073709551615}}}})",
     "linux.resources.pids.limit", "out of range"},
    {"unified_value_type", R"({"linux":{"resources":{"unified":{"memory.max":1}}}})",
     "linux.resources.unified", "must be a string"},
    {"hook_timeout_type", R"({"hooks":{"prestart":[{"path":"/bin/true","timeout":"5s"}]}})",
     "hooks.prestart[0].timeout", "integer"},
    // Namespaces.
    {"unknown_namespace", R"({"linux":{"namespaces":[{"type":"pid"},{"type":"net"}]}})",
     "linux.namespaces[1].type", "unknown namespace type 'net'"},
    {"duplicate_namespace", R"({"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"pid"}]}})",
     "linux.namespaces[2].type", "'pid' listed twice"},
    {"namespace_relative_path", R"({"linux":{"namespaces":[{"type":"network","path":"netns/x"}]}})",
     "linux.namespaces[0].path", "absolute"},
    {"mapping_size_zero", R"({"linux":{"gidMappings":[{"containerID":0,"hostID":1000,"size":0}]}})",
     "linux.gidMappings[0].size", "greater than 0"},
    {"mapping_host_too_big", R"({"linux":{"uidMappings":[{"containerID":0,"hostID":4294967296,"size":1}]}})",
     "linux.uidMappings[0].hostID", "out of range"},
    {"mount_mapping_size", R"({"mounts":[{"destination":"/a","uidMappings":[{"hostID":1}]}]})",
     "mounts[0].uidMappings[0].size", "greater than 0"},
    // Process.
    {"relative_cwd", R"({"process":{"cwd":"home"}})", "process.cwd", "absolute path"},
    {"empty_cwd", R"({"process":{"cwd":""}})", "process.cwd", "absolute path"},
    {"rlimit_soft_gt_hard", R"({"process":{"rlimits":[{"type":"RLIMIT_NOFILE","hard":10,"soft":11}]}})",
     "process.rlimits[0].soft", "greater than hard"},
    {"rlimit_duplicate", R"({"process":{"rlimits":[{"type":"RLIMIT_NPROC","hard":1,"soft":1},{"type":"RLIMIT_NPROC","hard":2,"soft":2}]}})",
     "process.rlimits[1].type", "duplicate"},
    {"rlimit_no_type", R"({"process":{"rlimits":[{"hard":1,"soft":1}]}})", "process.rlimits[0].type", "required"},
    {"oom_score_adj_range", R"({"process":{"oomScoreAdj":1001}})", "process.oomScoreAdj", "between -1000 and 1000"},
    {"scheduler_nice_range", R"({"process":{"scheduler":{"policy":"SCHED_OTHER","nice":4294967296}}})",
     "process.scheduler.nice", "out of range"},
    {"io_priority_range", R"({"process":{"ioPriority":{"class":"IOPRIO_CLASS_BE","priority":-2147483649}}})",
     "process.ioPriority.priority", "out of range"},
    {"command_line", R"({"process":{"commandLine":"cmd.exe"}})", "process.commandLine", "Windows"},
    // Devices.
    {"bad_device_type", R"({"linux":{"devices":[{"type":"x","path":"/dev/x"}]}})", "linux.devices[0].type",
     "must be c, b, u or p"},
    {"device_relative_path", R"({"linux":{"devices":[{"type":"c","path":"dev/x","major":1,"minor":3}]}})",
     "linux.devices[0].path", "absolute"},
    {"device_rule_type", R"({"linux":{"resources":{"devices":[{"allow":true,"type":"u"}]}}})",
     "linux.resources.devices[0].type", "must be a, b or c"},
    {"device_rule_access", R"({"linux":{"resources":{"devices":[{"allow":true,"access":"rwx"}]}}})",
     "linux.resources.devices[0].access", "r, w and m"},
    // Resources.
    {"swap_lt_limit", R"({"linux":{"resources":{"memory":{"limit":2048,"swap":1024}}}})",
     "linux.resources.memory.swap", "must not be smaller than the memory limit"},
    {"memory_limit_below_minus_one", R"({"linux":{"resources":{"memory":{"limit":-2}}}})",
     "linux.resources.memory.limit", "-1"},
    {"swappiness_range", R"({"linux":{"resources":{"memory":{"swappiness":101}}}})",
     "linux.resources.memory.swappiness", "between 0 and 100"},
    {"blkio_weight_range", R"({"linux":{"resources":{"blockIO":{"weight":70000}}}})",
     "linux.resources.blockIO.weight", "out of range"},
    {"blkio_device_weight_range",
     R"({"linux":{"resources":{"blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":65536}]}}}})",
     "linux.resources.blockIO.weightDevice[0].weight", "out of range"},
    {"hugepage_no_size", R"({"linux":{"resources":{"hugepageLimits":[{"limit":1}]}}})",
     "linux.resources.hugepageLimits[0].pageSize", "required"},
    {"rdma", R"({"linux":{"resources":{"rdma":{"mlx5_1":{"hcaHandles":3}}}}})", "linux.resources.rdma",
     "not supported"},
    // Seccomp.
    {"seccomp_arg_index", R"({"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}}})",
     "linux.seccomp.syscalls[0].args[0].index", "between 0 and 5"},
    {"seccomp_arg_no_op", R"({"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1}]}]}}})",
     "linux.seccomp.syscalls[0].args[0].op", "required"},
    {"seccomp_no_default", R"({"linux":{"seccomp":{"syscalls":[]}}})", "linux.seccomp.defaultAction", "required"},
    {"seccomp_no_names", R"({"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_KILL"}]}}})",
     "linux.seccomp.syscalls[0].names", "at least one"},
    {"seccomp_no_action", R"({"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"]}]}}})",
     "linux.seccomp.syscalls[0].action", "required"},
    // Paths, propagation, root, version.
    {"unknown_propagation", R"({"linux":{"rootfsPropagation":"recursive"}})", "linux.rootfsPropagation",
     "unknown propagation 'recursive'"},
    {"missing_root_path", R"({"root":{"path":null,"readonly":true}})", "root.path", "is required"},
    {"empty_root_path", R"({"root":{"path":""}})", "root.path", "is required"},
    {"missing_root", R"({"root":null})", "root", "is required"},
    {"oci_version_2", R"({"ociVersion":"2.0"})", "ociVersion", "unsupported version '2.0'"},
    {"oci_version_missing", R"({"ociVersion":null})", "ociVersion", "is required"},
    {"mount_no_destination", R"({"mounts":[{"type":"tmpfs","source":"tmpfs"}]})", "mounts[0].destination",
     "is required"},
    // Hooks.
    {"hook_relative_path", R"({"hooks":{"poststop":[{"path":"bin/cleanup"}]}})", "hooks.poststop[0].path",
     "absolute"},
    {"hook_zero_timeout", R"({"hooks":{"createRuntime":[{"path":"/a"},{"path":"/b","timeout":0}]}})",
     "hooks.createRuntime[1].timeout", "greater than zero"},
    {"hook_huge_timeout", R"({"hooks":{"prestart":[{"path":"/a","timeout":4294967297}]}})",
     "hooks.prestart[0].timeout", "out of range"},
    {"hooks_not_array", R"({"hooks":{"startContainer":{"path":"/a"}}})", "hooks.startContainer",
     "expected an array"},
};

// Readable test output instead of a byte dump.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadConfig : public ::testing::TestWithParam<BadCase> {};

}  // namespace

TEST_P(BadConfig, ErrorNamesTheJsonPath) {
  const BadCase& c = GetParam();
  json cfg = base_config();
  cfg.merge_patch(json::parse(c.patch));
  auto s = spec::parse_spec(cfg.dump());
  ASSERT_FALSE(s) << "accepted: " << cfg.dump();
  EXPECT_EQ(s.error().code, Errc::InvalidArgument);
  EXPECT_EQ(s.error().sys_errno, 0);
  const std::string& msg = s.error().message;
  // "config.json: <path>: <reason>"
  EXPECT_NE(msg.find(std::string("config.json: ") + c.path + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find(c.reason), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(SpecErrors, BadConfig, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SpecErrors, NonJsonText) {
  for (const char* text : {"", "not json", "{\"ociVersion\": ", "{'a':1}", "{\"a\":1,}"}) {
    auto s = spec::parse_spec(text);
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.error().code, Errc::InvalidArgument);
    EXPECT_NE(s.error().message.find("config.json is not valid JSON"), std::string::npos) << s.error().message;
  }
}

TEST(SpecErrors, TopLevelMustBeAnObject) {
  for (const char* text : {"[]", "1", "\"s\"", "null"}) {
    auto s = spec::parse_spec(text);
    ASSERT_FALSE(s) << text;
    EXPECT_NE(s.error().message.find("config.json: expected a JSON object"), std::string::npos)
        << s.error().message;
  }
}

TEST(SpecErrors, OtherOneDotVersionsAreAccepted) {
  for (const char* v : {"1.0.0", "1.0.2-dev", "1.1.0", "1.2.0"}) {
    json cfg = base_config();
    cfg["ociVersion"] = v;
    EXPECT_TRUE(spec::parse_spec(cfg.dump())) << v;
  }
  for (const char* v : {"0.9", "10.0", "2.0.0", "v1.0"}) {
    json cfg = base_config();
    cfg["ociVersion"] = v;
    EXPECT_FALSE(spec::parse_spec(cfg.dump())) << v;
  }
}

TEST(SpecErrors, SwapEqualToLimitOrUnlimitedIsFine) {
  for (const char* mem : {R"({"limit":1024,"swap":1024})", R"({"limit":1024,"swap":-1})",
                          R"({"limit":-1,"swap":512})", R"({"swap":1})"}) {
    json cfg = base_config();
    cfg["linux"]["resources"]["memory"] = json::parse(mem);
    auto s = spec::parse_spec(cfg.dump());
    EXPECT_TRUE(s) << mem << ": " << (s ? "" : s.error().message);
  }
}

TEST(SpecErrors, LoadBundleWithoutConfigIsNotFound) {
  auto s = spec::load_bundle_spec("/nonexistent-berth-bundle");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::NotFound);
  EXPECT_NE(s.error().message.find("/nonexistent-berth-bundle"), std::string::npos);
}
