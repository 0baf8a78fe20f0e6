// berth-shim's command line (the launcher in src/task writes it).
#include <gtest/gtest.h>

#include "shim/options.h"

using namespace berth;
using namespace berth::shim;

namespace {

Result<Options> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "berth-shim");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(ShimOptions, ContainerModeWithLogDriverAndOptions) {
  auto o = parse({"--id", "c1", "--runtime-root", "/run/r", "--state-dir", "/run/s", "--bundle", "/b", "--log-driver",
                  "json-file", "--log-path", "/l/c1-json.log", "--log-opt", "max-size=10m", "--log-opt",
                  "max-file=3", "--log-opt", "tag=a=b", "--tty", "--stdin"});
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_FALSE(o->exec_mode());
  EXPECT_EQ(o->log_driver, "json-file");
  EXPECT_EQ(o->log_path, "/l/c1-json.log");
  EXPECT_EQ(o->log_options, (logs::LogOptions{{"max-size", "10m"}, {"max-file", "3"}, {"tag", "a=b"}}));
  EXPECT_TRUE(o->tty);
  EXPECT_TRUE(o->open_stdin);
}

TEST(ShimOptions, NoLogDriverIsNone) {
  auto o = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b"});
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_EQ(o->log_driver, "none");
  EXPECT_TRUE(o->log_options.empty());
}

TEST(ShimOptions, ExecMode) {
  auto o = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--exec-process", "/s/process.json"});
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_TRUE(o->exec_mode());
}

TEST(ShimOptions, CleanupModeNeedsNoStateDir) {
  auto o = parse({"--id", "c1", "--runtime-root", "/r", "--cleanup"});
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_TRUE(o->cleanup);
  EXPECT_FALSE(parse({"--id", "c1", "--runtime-root", "/r", "--cleanup", "--bundle", "/b"}));
}

TEST(ShimOptions, Refused) {
  // Neither mode, both modes, a log option without a bundle, a malformed option.
  EXPECT_FALSE(parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s"}));
  EXPECT_FALSE(parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b", "--exec-process", "/p"}));
  EXPECT_FALSE(parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--exec-process", "/p", "--log-opt", "a=b"}));
  auto bad = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b", "--log-opt", "max-size"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
  EXPECT_NE(bad.error().message.find("KEY=VALUE"), std::string::npos);
  EXPECT_FALSE(parse({"--id", "c1", "--runtime-root", "/r", "--bundle", "/b"})) << "--state-dir is required";
}

}  // namespace

namespace {

TEST(ShimOptions, VmModeCarriesTheRunnerAndItsArguments) {
  auto o = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b", "--vm-runner",
                  "/bin/berth-vm-runner", "--vm-arg", "--kernel", "--vm-arg", "/k", "--vm-arg", "--accel", "--vm-arg",
                  "tcg"});
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_TRUE(o->vm_mode());
  EXPECT_FALSE(o->exec_mode());
  EXPECT_EQ(o->vm_runner, "/bin/berth-vm-runner");
  EXPECT_EQ(o->vm_args, (std::vector<std::string>{"--kernel", "/k", "--accel", "tcg"}));
}

TEST(ShimOptions, VmExecMode) {
  auto o = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s/exec/e1", "--exec-process", "/p.json",
                  "--vm-runner", "/bin/berth-vm-runner"});
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_TRUE(o->vm_mode());
  EXPECT_TRUE(o->exec_mode());
}

TEST(ShimOptions, VmArgNeedsTheRunnerAndCleanupExcludesIt) {
  EXPECT_FALSE(parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b", "--vm-arg", "x"}));
  EXPECT_FALSE(parse({"--id", "c1", "--runtime-root", "/r", "--cleanup", "--vm-runner", "/x"}));
}

}  // namespace

namespace {

TEST(ShimOptions, OutputStallDefaultsToThirtySecondsAndMustBePositive) {
  auto o = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b"});
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_EQ(o->output_stall_ms, 30000);
  auto set = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b", "--output-stall-ms",
                    "250"});
  ASSERT_TRUE(set) << set.error().str();
  EXPECT_EQ(set->output_stall_ms, 250);
  auto zero = parse({"--id", "c1", "--runtime-root", "/r", "--state-dir", "/s", "--bundle", "/b",
                     "--output-stall-ms", "0"});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().str().find("output-stall-ms"), std::string::npos) << zero.error().str();
}

}  // namespace
