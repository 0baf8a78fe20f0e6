// The Launch frame's payload: what a standby shim is told to run.
#include "shimproto/assignment.h"

#include <gtest/gtest.h>

using namespace berth;
using namespace berth::shimproto;

namespace {

TEST(Assignment, RoundTrips) {
  Assignment a{{"berth-shim", "--id", "c1", "--log-opt", "tag=a b\xff"}, "/run/s/shim.log"};
  auto back = Assignment::decode(a.encode());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->args[2], "c1");
  EXPECT_EQ(back->args.size(), 5u);
  EXPECT_EQ(back->log_path, "/run/s/shim.log");
}

TEST(Assignment, RejectsWhatIsNotOne) {
  for (const char* bad : {"", "[]", "{}", "nope", R"({"args": [], "log": "/l"})", R"({"args": ["x", 1], "log": "/l"})",
                          R"({"args": "x", "log": "/l"})", R"({"args": ["x"]})", R"({"args": ["x"], "log": ""})",
                          R"({"args": ["x"], "log": 7})"}) {
    auto r = Assignment::decode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << bad;
    EXPECT_NE(r.error().message.find("Launch frame"), std::string::npos) << r.error().message;
  }
}

}  // namespace
