// Compiling profiles (no filter is loaded here: that is in integration/security).
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "docker_profile.h"
#include "runtime/linux/seccomp.h"

using namespace berth;
using runtime::compile_seccomp;
using fixtures::arg;

namespace {

spec::Seccomp allow_all_but(const std::string& name, const std::string& action,
                            std::vector<spec::SeccompArg> args = {}) {
  spec::Seccomp p;
  p.default_action = "SCMP_ACT_ALLOW";
  p.syscalls.push_back({{name}, action, std::nullopt, std::move(args)});
  return p;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// True if some instruction returns exactly this SECCOMP_RET_* value.
bool returns(const runtime::SeccompProgram& p, uint32_t ret) {
  return std::any_of(p.filter.begin(), p.filter.end(), [&](const sock_filter& f) {
    return f.code == (BPF_RET | BPF_K) && f.k == ret;
  });
}

}  // namespace

TEST(Seccomp, DockerLikeProfileCompilesQuickly) {
  auto profile = fixtures::docker_like_profile();
  ASSERT_GT(fixtures::docker_allowed_names().size(), 300u);
  // The first compile includes libseccomp's one-time probes of the kernel.
  auto timed = [&](runtime::SeccompProgram* out) {
    auto start = std::chrono::steady_clock::now();
    auto prog = compile_seccomp(profile);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (prog) *out = std::move(*prog);
    else ADD_FAILURE() << prog.error().str();
    return ms;
  };
  runtime::SeccompProgram prog;
  double first = timed(&prog);
  std::vector<double> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(timed(&prog));
  std::sort(runs.begin(), runs.end());
  std::printf("docker-like profile: %zu names, %zu BPF instructions, first compile %.2f ms, median %.2f ms\n",
              fixtures::docker_allowed_names().size(), prog.filter.size(), first, runs[2]);
  RecordProperty("compile_ms", std::to_string(runs[2]));
  EXPECT_LT(runs[2], 200.0);
  EXPECT_FALSE(prog.wants_listener);
  EXPECT_EQ(prog.flags, 0u);
  EXPECT_LE(prog.filter.size(), size_t{BPF_MAXINSNS});
  EXPECT_TRUE(returns(prog, SECCOMP_RET_ERRNO | 1));   // default
  EXPECT_TRUE(returns(prog, SECCOMP_RET_ERRNO | 38));  // clone3
  EXPECT_TRUE(returns(prog, SECCOMP_RET_ALLOW));
}

TEST(Seccomp, ParsedFromConfigJson) {
  auto s = spec::parse_spec(R"({"ociVersion":"1.0.2","root":{"path":"r"},"linux":{"seccomp":{
    "defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
    "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
    "flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"},
                {"names":["clone"],"action":"SCMP_ACT_ALLOW",
                 "args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]}}})");
  ASSERT_TRUE(s) << s.error().str();
  auto prog = compile_seccomp(*s->linux.seccomp);
  ASSERT_TRUE(prog) << prog.error().str();
  EXPECT_EQ(prog->flags, unsigned(SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
}

TEST(Seccomp, EveryActionCompiles) {
  for (const auto& action : runtime::seccomp_known_actions()) {
    auto prog = compile_seccomp(allow_all_but("getppid", action));
    ASSERT_TRUE(prog) << action << ": " << prog.error().str();
    EXPECT_EQ(prog->wants_listener, action == "SCMP_ACT_NOTIFY") << action;
  }
}

TEST(Seccomp, ErrnoAndTraceDefaultToEperm) {
  auto errno_prog = compile_seccomp(allow_all_but("getppid", "SCMP_ACT_ERRNO"));
  ASSERT_TRUE(errno_prog);
  EXPECT_TRUE(returns(*errno_prog, SECCOMP_RET_ERRNO | EPERM));
  auto trace_prog = compile_seccomp(allow_all_but("getppid", "SCMP_ACT_TRACE"));
  ASSERT_TRUE(trace_prog);
  EXPECT_TRUE(returns(*trace_prog, SECCOMP_RET_TRACE | EPERM));

  auto p = allow_all_but("getppid", "SCMP_ACT_TRACE");
  p.syscalls[0].errno_ret = 1234;
  auto traced = compile_seccomp(p);
  ASSERT_TRUE(traced);
  EXPECT_TRUE(returns(*traced, SECCOMP_RET_TRACE | 1234));
}

TEST(Seccomp, DefaultErrnoRetIsUsed) {
  spec::Seccomp p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.default_errno_ret = 38;
  p.syscalls.push_back({{"read", "write"}, "SCMP_ACT_ALLOW", std::nullopt, {}});
  auto prog = compile_seccomp(p);
  ASSERT_TRUE(prog) << prog.error().str();
  EXPECT_TRUE(returns(*prog, SECCOMP_RET_ERRNO | 38));
}

TEST(Seccomp, EveryOperatorCompiles) {
  for (const auto& op : runtime::seccomp_known_operators()) {
    auto prog = compile_seccomp(allow_all_but("getppid", "SCMP_ACT_ERRNO", {arg(0, 4, op.c_str(), 4)}));
    ASSERT_TRUE(prog) << op << ": " << prog.error().str();
  }
}

TEST(Seccomp, SameArgumentIndexTwiceIsAccepted) {
  // libseccomp refuses two conditions on one argument in a rule; runc splits them.
  auto prog = compile_seccomp(allow_all_but(
      "getppid", "SCMP_ACT_ERRNO", {arg(0, 1, "SCMP_CMP_EQ"), arg(0, 2, "SCMP_CMP_EQ")}));
  ASSERT_TRUE(prog) << prog.error().str();
}

TEST(Seccomp, EveryArchitectureCompiles) {
  int compiled = 0;
  for (const auto& a : runtime::seccomp_known_archs()) {
    spec::Seccomp p = allow_all_but("getppid", "SCMP_ACT_ERRNO");
    p.architectures = {a};
    auto prog = compile_seccomp(p);
    // Big-endian ones cannot share a filter with a little-endian native arch.
    if (!prog) {
      EXPECT_NE(prog.error().message.find("byte order"), std::string::npos) << prog.error().str();
    } else {
      ++compiled;
    }
  }
  EXPECT_GE(compiled, 9);  // x86, x86_64, x32, arm, aarch64, mipsel*, ppc64le, riscv64
}

TEST(Seccomp, RuleEqualToDefaultIsSkipped) {
  spec::Seccomp p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.default_errno_ret = 1;
  p.syscalls.push_back({{"mkdir"}, "SCMP_ACT_ERRNO", 1, {}});
  p.syscalls.push_back({{"read"}, "SCMP_ACT_ALLOW", std::nullopt, {}});
  auto prog = compile_seccomp(p);
  ASSERT_TRUE(prog) << prog.error().str();
}

TEST(Seccomp, UnknownSyscallNamesAreSkipped) {
  auto prog = compile_seccomp(allow_all_but("not_a_syscall", "SCMP_ACT_NOTIFY"));
  ASSERT_TRUE(prog) << prog.error().str();
  EXPECT_FALSE(prog->wants_listener);  // the only NOTIFY rule was skipped
}

TEST(Seccomp, UnknownNamesAreErrorsNamingTheField) {
  auto bad_action = compile_seccomp(allow_all_but("getppid", "SCMP_ACT_FOO"));
  ASSERT_FALSE(bad_action);
  EXPECT_EQ(bad_action.error().code, Errc::InvalidArgument);
  EXPECT_EQ(bad_action.error().message,
            "linux.seccomp.syscalls[0].action: unknown seccomp action SCMP_ACT_FOO");

  auto bad_op = compile_seccomp(allow_all_but("getppid", "SCMP_ACT_ERRNO", {arg(1, 0, "SCMP_CMP_XX")}));
  ASSERT_FALSE(bad_op);
  EXPECT_EQ(bad_op.error().message,
            "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator SCMP_CMP_XX");

  auto p = allow_all_but("getppid", "SCMP_ACT_ERRNO");
  p.architectures = {"SCMP_ARCH_VAX"};
  auto bad_arch = compile_seccomp(p);
  ASSERT_FALSE(bad_arch);
  EXPECT_EQ(bad_arch.error().message, "linux.seccomp.architectures: unknown architecture SCMP_ARCH_VAX");

  p = allow_all_but("getppid", "SCMP_ACT_ERRNO");
  p.flags = {"SECCOMP_FILTER_FLAG_BOGUS"};
  auto bad_flag = compile_seccomp(p);
  ASSERT_FALSE(bad_flag);
  EXPECT_EQ(bad_flag.error().message, "linux.seccomp.flags: unknown seccomp flag SECCOMP_FILTER_FLAG_BOGUS");

  p = allow_all_but("getppid", "SCMP_ACT_ERRNO");
  p.default_action = "SCMP_ACT_NOPE";
  auto bad_default = compile_seccomp(p);
  ASSERT_FALSE(bad_default);
  EXPECT_EQ(bad_default.error().message, "linux.seccomp.defaultAction: unknown seccomp action SCMP_ACT_NOPE");

  p = allow_all_but("getppid", "SCMP_ACT_ERRNO");
  p.syscalls[0].errno_ret = 70000;
  EXPECT_FALSE(compile_seccomp(p));

  p = allow_all_but("getppid", "SCMP_ACT_ALLOW");
  p.default_action = "SCMP_ACT_NOTIFY";
  EXPECT_FALSE(compile_seccomp(p));
}

TEST(Seccomp, FlagsMapToKernelBits) {
  auto p = allow_all_but("getppid", "SCMP_ACT_ERRNO");
  p.flags = runtime::seccomp_known_flags();
  auto prog = compile_seccomp(p);
  ASSERT_TRUE(prog) << prog.error().str();
  EXPECT_TRUE(prog->flags & SECCOMP_FILTER_FLAG_TSYNC);
  EXPECT_TRUE(prog->flags & SECCOMP_FILTER_FLAG_LOG);
  EXPECT_TRUE(prog->flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  EXPECT_FALSE(prog->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);  // added at load time only
}

TEST(Seccomp, KnownListsForFeatures) {
  EXPECT_EQ(runtime::seccomp_known_actions().size(), 9u);
  EXPECT_EQ(runtime::seccomp_known_operators().size(), 7u);
  EXPECT_TRUE(contains(runtime::seccomp_known_archs(), "SCMP_ARCH_X86_64"));
  EXPECT_TRUE(contains(runtime::seccomp_known_archs(), "SCMP_ARCH_AARCH64"));
  EXPECT_TRUE(contains(runtime::seccomp_known_archs(), "SCMP_ARCH_RISCV64"));
  EXPECT_TRUE(contains(runtime::seccomp_known_flags(), "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
}

TEST(Seccomp, BytesRoundTrip) {
  auto p = fixtures::docker_like_profile();
  p.flags = {"SECCOMP_FILTER_FLAG_LOG"};
  p.syscalls.push_back({{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}});
  auto prog = compile_seccomp(p);
  ASSERT_TRUE(prog) << prog.error().str();
  ASSERT_TRUE(prog->wants_listener);
  std::string bytes = runtime::seccomp_to_bytes(*prog);
  EXPECT_EQ(bytes.size(), 20 + 8 * prog->filter.size());
  auto back = runtime::seccomp_from_bytes(bytes);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->flags, prog->flags);
  EXPECT_EQ(back->wants_listener, prog->wants_listener);
  ASSERT_EQ(back->filter.size(), prog->filter.size());
  for (size_t i = 0; i < back->filter.size(); ++i) {
    EXPECT_EQ(back->filter[i].code, prog->filter[i].code) << i;
    EXPECT_EQ(back->filter[i].jt, prog->filter[i].jt) << i;
    EXPECT_EQ(back->filter[i].jf, prog->filter[i].jf) << i;
    EXPECT_EQ(back->filter[i].k, prog->filter[i].k) << i;
  }
  // Empty program (no profile) survives too.
  auto empty = runtime::seccomp_from_bytes(runtime::seccomp_to_bytes({}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(Seccomp, CorruptBytesAreRefused) {
  auto prog = compile_seccomp(allow_all_but("getppid", "SCMP_ACT_ERRNO"));
  ASSERT_TRUE(prog);
  std::string bytes = runtime::seccomp_to_bytes(*prog);
  EXPECT_FALSE(runtime::seccomp_from_bytes(""));
  EXPECT_FALSE(runtime::seccomp_from_bytes(bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(runtime::seccomp_from_bytes(bytes + "x"));
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_FALSE(runtime::seccomp_from_bytes(bad_magic));
  std::string bad_version = bytes;
  bad_version[4] = 9;
  auto r = runtime::seccomp_from_bytes(bad_version);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unsupported);
}
