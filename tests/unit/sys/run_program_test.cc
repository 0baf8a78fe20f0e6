// sys::run_program: output, input, exit status, the environment option, the time-out.
#include "sys/run_program.h"

#include <gtest/gtest.h>

namespace berth::sys {
namespace {

TEST(RunProgram, CollectsOutputAndStatus) {
  auto out = run_program({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(out->out, "out\n");
  EXPECT_EQ(out->err, "err\n");
  EXPECT_EQ(out->status, 3);
  EXPECT_FALSE(out->timed_out);
}

TEST(RunProgram, FeedsInputLargerThanAPipeBuffer) {
  ProgramOptions options;
  options.input = std::string(200000, 'x');
  auto out = run_program({"wc", "-c"}, options);
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(out->out, "200000\n");
}

TEST(RunProgram, TheEnvironmentOptionIsTheWholeEnvironment) {
  ::setenv("BERTH_RUN_PROGRAM_TEST_OURS", "1", 1);
  ProgramOptions options;
  options.env = std::vector<std::string>{"ONLY=this", "ALSO=that"};
  auto out = run_program({"/usr/bin/env"}, options);
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(out->out, "ONLY=this\nALSO=that\n");
  auto inherited = run_program({"/usr/bin/env"});
  ASSERT_TRUE(inherited);
  EXPECT_NE(inherited->out.find("BERTH_RUN_PROGRAM_TEST_OURS=1\n"), std::string::npos);
  ::unsetenv("BERTH_RUN_PROGRAM_TEST_OURS");
}

TEST(RunProgram, KillsAProgramThatOutlivesTheTimeout) {
  ProgramOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto out = run_program({"sleep", "30"}, options);
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_TRUE(out->timed_out);
  EXPECT_EQ(out->status, 128 + 9);
}

TEST(RunProgram, AMissingProgramIsNotFound) {
  auto out = run_program({"berth-no-such-program-anywhere"});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::NotFound);
}

}  // namespace
}  // namespace berth::sys
