#include <gtest/gtest.h>

#include <cerrno>

#include "spec/runtime_spec.h"
#include "specgen/specgen.h"

namespace berth::specgen {
namespace {

using nlohmann::json;

const std::vector<std::string> kDefaultCaps = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};

// The rules that name this syscall.
std::vector<json> rules_for(const json& oci, const std::string& name) {
  std::vector<json> out;
  for (const auto& r : oci.value("syscalls", json::array()))
    for (const auto& n : r["names"])
      if (n == name) out.push_back(r);
  return out;
}

bool allowed_unconditionally(const json& oci, const std::string& name) {
  for (const auto& r : rules_for(oci, name))
    if (r["action"] == "SCMP_ACT_ALLOW" && !r.contains("args")) return true;
  return false;
}

TEST(DefaultSeccomp, DefaultCapabilities) {
  auto oci = seccomp_profile_to_oci(default_seccomp_profile(), kDefaultCaps, "6.1.0");
  ASSERT_TRUE(oci) << oci.error().str();
  EXPECT_EQ((*oci)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*oci)["defaultErrnoRet"], EPERM);
#if defined(__x86_64__)
  EXPECT_EQ((*oci)["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_TRUE(allowed_unconditionally(*oci, "arch_prctl"));
  EXPECT_TRUE(allowed_unconditionally(*oci, "modify_ldt"));
  EXPECT_TRUE(rules_for(*oci, "s390_runtime_instr").empty());
#endif
  for (const char* ok : {"read", "write", "execve", "openat", "chroot" /* CAP_SYS_CHROOT */,
                         "ptrace" /* kernel >= 4.8 */, "io_uring_setup"})
    EXPECT_TRUE(allowed_unconditionally(*oci, ok)) << ok;
  for (const char* blocked : {"mount", "umount2", "unshare", "setns", "reboot", "init_module",
                              "open_by_handle_at", "bpf", "perf_event_open", "kexec_load",
                              "settimeofday", "acct", "syslog", "add_key", "keyctl"})
    EXPECT_TRUE(rules_for(*oci, blocked).empty()) << blocked;

  // personality: only the listed personas.
  auto personality = rules_for(*oci, "personality");
  ASSERT_EQ(personality.size(), 5u);
  for (const auto& r : personality) {
    ASSERT_EQ(r["args"].size(), 1u);
    EXPECT_EQ(r["args"][0]["op"], "SCMP_CMP_EQ");
  }
  // clone: allowed only without namespace flags; clone3 answers ENOSYS.
  auto clone = rules_for(*oci, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0]["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clone[0]["args"][0]["value"], 0x7E020000u);
  EXPECT_EQ(clone[0]["args"][0]["valueTwo"], 0);
  auto clone3 = rules_for(*oci, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0]["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3[0]["errnoRet"], ENOSYS);
  // socket: anything but AF_VSOCK.
  auto socket = rules_for(*oci, "socket");
  ASSERT_EQ(socket.size(), 1u);
  EXPECT_EQ(socket[0]["args"][0]["op"], "SCMP_CMP_NE");
  EXPECT_EQ(socket[0]["args"][0]["value"], 40);
}

TEST(DefaultSeccomp, CapabilitiesUnlockTheirSyscalls) {
  auto caps = kDefaultCaps;
  caps.insert(caps.end(), {"CAP_SYS_ADMIN", "CAP_SYS_TIME", "CAP_SYS_PTRACE", "CAP_SYS_MODULE"});
  auto oci = seccomp_profile_to_oci(default_seccomp_profile(), caps, "6.1.0");
  ASSERT_TRUE(oci) << oci.error().str();
  for (const char* ok : {"mount", "unshare", "setns", "clone", "clone3", "settimeofday",
                         "clock_settime", "kcmp", "process_madvise", "init_module"})
    EXPECT_TRUE(allowed_unconditionally(*oci, ok)) << ok;
  for (const auto& r : rules_for(*oci, "clone3")) EXPECT_EQ(r["action"], "SCMP_ACT_ALLOW");
  EXPECT_TRUE(rules_for(*oci, "reboot").empty());

  // Dropping CHROOT removes chroot.
  std::vector<std::string> no_chroot;
  for (const auto& c : kDefaultCaps)
    if (c != "CAP_SYS_CHROOT") no_chroot.push_back(c);
  oci = seccomp_profile_to_oci(default_seccomp_profile(), no_chroot, "6.1.0");
  ASSERT_TRUE(oci);
  EXPECT_TRUE(rules_for(*oci, "chroot").empty());
}

TEST(DefaultSeccomp, MinKernel) {
  auto old = seccomp_profile_to_oci(default_seccomp_profile(), kDefaultCaps, "4.4.0-generic");
  ASSERT_TRUE(old);
  EXPECT_TRUE(rules_for(*old, "ptrace").empty());
  auto recent = seccomp_profile_to_oci(default_seccomp_profile(), kDefaultCaps, "4.8.0");
  ASSERT_TRUE(recent);
  EXPECT_FALSE(rules_for(*recent, "ptrace").empty());
}

TEST(CustomSeccomp, Conversion) {
  json profile = json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": []},
      {"names": ["chmod", "fchmod"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 1, "value": 511, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
      {"names": ["sync"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["syncfs"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_CHOWN"]}},
      {"names": ["fsync"], "action": "SCMP_ACT_ERRNO", "comment": "kept"}
    ]})");
  auto oci = seccomp_profile_to_oci(profile, kDefaultCaps, "6.1");
  ASSERT_TRUE(oci) << oci.error().str();
  EXPECT_EQ((*oci)["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_EQ((*oci)["architectures"], json({"SCMP_ARCH_X86_64"}));
  EXPECT_EQ((*oci)["flags"], json({"SECCOMP_FILTER_FLAG_LOG"}));
  const json& s = (*oci)["syscalls"];
  ASSERT_EQ(s.size(), 3u);  // sync (needs SYS_ADMIN) and syncfs (excluded by CHOWN) dropped
  EXPECT_EQ(s[0], json({{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}}));
  EXPECT_EQ(s[1]["names"], json({"chmod", "fchmod"}));
  EXPECT_EQ(s[1]["args"][0], json({{"index", 1}, {"value", 511}, {"valueTwo", 0}, {"op", "SCMP_CMP_EQ"}}));
  EXPECT_EQ(s[2]["names"], json({"fsync"}));
  EXPECT_FALSE(s[2].contains("comment"));
}

TEST(CustomSeccomp, DisabledAndErrors) {
  auto none = seccomp_profile_to_oci(json::object(), kDefaultCaps, "6.1");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->is_null());

  struct Bad {
    const char* profile;
    const char* message_part;
  };
  const Bad bad[] = {
      {R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
           "archMap":[{"architecture":"SCMP_ARCH_X86_64"}]})", "use either 'architectures' or 'archMap'"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]})",
       "use either 'name' or 'names'"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"]}]})", "syscalls[0].action"},
      {R"({"syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW"}]})", "defaultAction is required"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW",
           "includes":{"minKernel":"x"}}]})", "minKernel"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW",
           "args":[{"index":-1,"value":0,"op":"SCMP_CMP_EQ"}]}]})", "args.index"},
      {R"([])", "expected a JSON object"},
  };
  for (const auto& b : bad) {
    auto r = seccomp_profile_to_oci(json::parse(b.profile), kDefaultCaps, "6.1");
    ASSERT_FALSE(r) << b.profile;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find(b.message_part), std::string::npos) << r.error().message;
  }
}

// The converted default profile is valid for the runtime's parser.
TEST(DefaultSeccomp, ParsesAsRuntimeSpec) {
  auto oci = seccomp_profile_to_oci(default_seccomp_profile(), kDefaultCaps, "6.1.0");
  ASSERT_TRUE(oci);
  json spec = {{"ociVersion", "1.0.2"},
               {"root", {{"path", "/tmp/x"}}},
               {"process", {{"args", {"sh"}}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}}},
               {"linux", {{"seccomp", *oci}}}};
  auto parsed = spec::parse_spec(spec.dump());
  ASSERT_TRUE(parsed) << parsed.error().str();
  ASSERT_TRUE(parsed->linux.seccomp);
  EXPECT_EQ(parsed->linux.seccomp->default_errno_ret, EPERM);
}

}  // namespace
}  // namespace berth::specgen
