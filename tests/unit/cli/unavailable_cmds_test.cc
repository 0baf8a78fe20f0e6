// search is a real command that say
// berth does not have them yet: their flags parse (and show in --help), and
// they exit 1 naming the command, never "unknown command".
#include "cli/unavailable_cmds.h"

#include <gtest/gtest.h>

#include "cli/app.h"
#include "run_cli.h"

namespace berth::cli {
namespace {

using testing::Outcome;

Outcome berth(std::vector<std::string> args) { return testing::run_cli(main, std::move(args)); }

TEST(UnavailableCommands, MessageNamesTheCommandAndWhatToUse) {
  EXPECT_FALSE(unavailable_message("berth pull"));  // real commands now (pull_test.cc)
  EXPECT_FALSE(unavailable_message("berth push"));
  EXPECT_FALSE(unavailable_message("berth login"));
  EXPECT_FALSE(unavailable_message("berth logout"));
  EXPECT_FALSE(unavailable_message("berth image build"));  // a real command now (build_test.cc)
  for (const char* verb : {"search"}) {
    auto m = unavailable_message(std::string("berth ") + verb);
    ASSERT_TRUE(m) << verb;
    EXPECT_TRUE(m->starts_with(std::string("berth ") + verb + ": ")) << *m;
    EXPECT_NE(m->find("not available in this version of berth yet"), std::string::npos) << *m;
  }
  EXPECT_FALSE(unavailable_message("berth run"));
}

TEST(UnavailableCommands, ExitOneWithTheMessage) {
  Outcome r;
  for (auto args : std::vector<std::vector<std::string>>{{"search", "--limit", "5", "redis"}}) {
    r = berth(args);
    EXPECT_EQ(r.status, 1) << args[0];
    EXPECT_EQ(r.err, *unavailable_message("berth " + args[0]) + "\n");
  }
}

TEST(UnavailableCommands, DockersFlagsAndArgumentCounts) {
  Outcome r = berth({"--help"});
  EXPECT_NE(r.out.find("  login "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Authenticate to a registry\n"), std::string::npos) << r.out;  // the summary in lists
  r = berth({"login", "--help"});
  EXPECT_NE(r.out.find("Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.\n"),
            std::string::npos) << r.out;

  r = berth({"search", "--nosuch", "busybox"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("unknown flag: --nosuch"), std::string::npos) << r.err;

  r = berth({"search"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("'berth search' requires exactly 1 argument"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::cli
