#include <gtest/gtest.h>

#include "server/http/server.h"
#include "server/http/target.h"

namespace berth::server {
namespace {

TEST(Target, PercentDecoding) {
  EXPECT_EQ(percent_decode("a%2Fb%20c", false), "a/b c");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%7b%7D", false), "{}");
  EXPECT_EQ(percent_decode("100%", false), "100%");    // lone '%' kept
  EXPECT_EQ(percent_decode("%zz%4", false), "%zz%4");  // malformed kept
}

TEST(Target, QueryDecodingKeepsRepeatedKeys) {
  auto q = parse_query("all=1&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&changes=CMD+x&changes=ENV+y&flag&&=v");
  EXPECT_EQ(q.count("all"), 1u);
  EXPECT_EQ(q.find("filters")->second, R"({"label":["a=b"]})");
  auto [b, e] = q.equal_range("changes");
  std::vector<std::string> changes;
  for (auto it = b; it != e; ++it) changes.push_back(it->second);
  EXPECT_EQ(changes, (std::vector<std::string>{"CMD x", "ENV y"}));
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(q.find("")->second, "v");
}

TEST(Target, VersionPrefix) {
  auto t = parse_target("/v1.41/containers/json?all=1");
  ASSERT_TRUE(t.version);
  EXPECT_EQ(*t.version, "1.41");
  EXPECT_EQ(t.path, "/containers/json");
  EXPECT_EQ(t.query, "all=1");

  t = parse_target("/containers/json");
  EXPECT_FALSE(t.version);
  EXPECT_EQ(t.path, "/containers/json");
  EXPECT_EQ(t.query, "");

  t = parse_target("/version");  // "/v" + letters is a path, not a version
  EXPECT_FALSE(t.version);
  EXPECT_EQ(t.path, "/version");
  t = parse_target("/v1.41");  // no path after the version
  EXPECT_FALSE(t.version);
}

TEST(Target, VersionRangeMessagesAreDockers) {
  EXPECT_EQ(check_api_version("1.41", 24, 41).error, "");
  EXPECT_EQ(check_api_version("1.41", 24, 41).minor, 41);
  EXPECT_EQ(check_api_version("1.24", 24, 41).minor, 24);
  EXPECT_EQ(check_api_version("1.50", 24, 41).error,
            "client version 1.50 is too new. Maximum supported API version is 1.41");
  EXPECT_EQ(check_api_version("2.0", 24, 41).error,
            "client version 2.0 is too new. Maximum supported API version is 1.41");
  EXPECT_EQ(check_api_version("1.12", 24, 41).error,
            "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client "
            "to a newer version");
  EXPECT_NE(check_api_version("1.x", 24, 41).error, "");
}

TEST(Request, QueryHelpers) {
  Request r;
  r.query = parse_query("a=1&b=TRUE&c=0&d=no&e=None&f=&g=x&n=-42&bad=4x");
  EXPECT_EQ(r.q("a"), "1");
  EXPECT_EQ(r.q("zz"), std::nullopt);
  EXPECT_TRUE(r.q_bool("a"));
  EXPECT_TRUE(r.q_bool("b"));
  EXPECT_FALSE(r.q_bool("c", true));
  EXPECT_FALSE(r.q_bool("d", true));
  EXPECT_FALSE(r.q_bool("e", true));
  EXPECT_FALSE(r.q_bool("f", true));
  EXPECT_TRUE(r.q_bool("g"));
  EXPECT_TRUE(r.q_bool("missing", true));
  EXPECT_FALSE(r.q_bool("missing"));
  EXPECT_EQ(r.q_int("n"), -42);
  EXPECT_EQ(r.q_int("bad"), std::nullopt);
}

TEST(Status, ForErrc) {
  EXPECT_EQ(status_for(Errc::NotFound), 404);
  EXPECT_EQ(status_for(Errc::AlreadyExists), 409);
  EXPECT_EQ(status_for(Errc::Conflict), 409);
  EXPECT_EQ(status_for(Errc::InvalidArgument), 400);
  EXPECT_EQ(status_for(Errc::PermissionDenied), 403);
  EXPECT_EQ(status_for(Errc::Unsupported), 501);
  EXPECT_EQ(status_for(Errc::Unavailable), 503);
  EXPECT_EQ(status_for(Errc::Internal), 500);
}

}  // namespace
}  // namespace berth::server
