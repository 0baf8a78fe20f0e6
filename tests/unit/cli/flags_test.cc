// Repeatable flags take one value per occurrence, so what follows stays
// positional: `run -e A=1 busybox env` runs `env` in busybox.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace berth::cli {
namespace {

TEST(ListFlags, OneValuePerOccurrence) {
  CLI::App app;
  std::vector<std::string> env, rest;
  add_list(&app, "-e,--env", env, "env", "list");
  app.add_option("args", rest);
  std::vector<std::string> argv = {"-e", "A=1", "-e", "B=2", "busybox", "ls", "env"};
  std::reverse(argv.begin(), argv.end());  // CLI11 takes the arguments last first
  ASSERT_NO_THROW(app.parse(argv));
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(rest, (std::vector<std::string>{"busybox", "ls", "env"}));
}

TEST(ListFlags, EqualsForm) {
  CLI::App app;
  std::vector<std::string> changes, rest;
  add_list(&app, "-c,--change", changes, "change", "list");
  app.add_option("args", rest);
  std::vector<std::string> argv = {"--change=CMD [\"sh\"]", "-", "x:1"};
  std::reverse(argv.begin(), argv.end());
  ASSERT_NO_THROW(app.parse(argv));
  EXPECT_EQ(changes, (std::vector<std::string>{"CMD [\"sh\"]"}));
  EXPECT_EQ(rest, (std::vector<std::string>{"-", "x:1"}));
}

}  // namespace
}  // namespace berth::cli
