// POST /berth/v1/images/diff: the body read into the backend's request, the
// answer passed through, errors mapped to statuses.
#include <gtest/gtest.h>

#include "fake_backends.h"
#include "route_harness.h"
#include "server/routes/routes.h"

namespace berth::server::testing {
namespace {

class FakeImageDiff : public backend::ImageDiffBackend, public Failing {
 public:
  std::optional<backend::ImageDiffRequest> asked;
  Result<nlohmann::ordered_json> image_diff(const backend::ImageDiffRequest& r) override {
    asked = r;
    return answer(nlohmann::ordered_json{{"a", {{"input", r.a}}}, {"b", {{"input", r.b}}}, {"types", {"size"}}});
  }
};

struct DiffRoutes : ::testing::Test {
  Router router;
  FakeImageDiff diff;
  void SetUp() override { add_berth_image_routes(router, diff); }
};

TEST_F(DiffRoutes, ReadsTheBodyAndAnswersTheComparison) {
  auto a = call(router, "POST", "/berth/v1/images/diff",
                R"({"a":"busybox","b":"remote://127.0.0.1:5000/x:1","types":["file","size"],)"
                R"("registry_auth":{"b":"eyJ9"},"platform":"linux/arm64"})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_EQ(a.json()["b"]["input"], "remote://127.0.0.1:5000/x:1");
  ASSERT_TRUE(diff.asked.has_value());
  EXPECT_EQ(diff.asked->a, "busybox");
  EXPECT_EQ(diff.asked->types, (std::vector<std::string>{"file", "size"}));
  EXPECT_EQ(diff.asked->auth_a, "");
  EXPECT_EQ(diff.asked->auth_b, "eyJ9");
  EXPECT_EQ(diff.asked->platform, "linux/arm64");
  // Field order is the backend's (scripts read it; people too).
  EXPECT_LT(a.body.find("\"a\""), a.body.find("\"types\""));
}

TEST_F(DiffRoutes, TypesMayBeLeftOutAndTheVersionPrefixIsNotNeeded) {
  auto a = call(router, "POST", "/berth/v1/images/diff", R"({"a":"x","b":"/tmp/y.tar"})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(diff.asked->types.empty());
}

TEST_F(DiffRoutes, MalformedBodiesAre400WithoutCallingTheBackend) {
  for (const char* body : {R"({"a":"x"})", R"({"b":"x"})", R"({"a":1,"b":"y"})", R"({"a":"x","b":"y","types":"file"})",
                           R"({"a":"x","b":"y","types":[1]})", R"({"a":"x","b":"y","registry_auth":"z"})", "[1]",
                           "{not json"}) {
    auto a = call(router, "POST", "/berth/v1/images/diff", body);
    EXPECT_EQ(a.status, 400) << body;
    EXPECT_FALSE(a.message().empty()) << body;
  }
  EXPECT_FALSE(diff.asked.has_value());
  EXPECT_EQ(call(router, "POST", "/berth/v1/images/diff", R"({"b":"y"})").message(),
            "image diff needs two images: \"a\" is missing");
}

TEST_F(DiffRoutes, PathsThatAreNotUtf8AreSentWithReplacementCharacters) {
  class Latin1 : public backend::ImageDiffBackend {
    Result<nlohmann::ordered_json> image_diff(const backend::ImageDiffRequest&) override {
      return nlohmann::ordered_json{{"file", {{"added", {{{"path", "/caf\xe9"}}}}}}};
    }
  } latin1;
  Router r;
  add_berth_image_routes(r, latin1);
  auto a = call(r, "POST", "/berth/v1/images/diff", R"({"a":"x","b":"y"})");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.json()["file"]["added"][0]["path"], "/caf\xef\xbf\xbd");
}

TEST_F(DiffRoutes, BackendErrorsMapToStatuses) {
  diff.error = Error{Errc::NotFound, 0, "No such image: nope:latest"};
  auto a = call(router, "POST", "/berth/v1/images/diff", R"({"a":"nope","b":"busybox"})");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.message(), "No such image: nope:latest");
  diff.error = Error{Errc::InvalidArgument, 0, "unknown diff type \"pip\""};
  EXPECT_EQ(call(router, "POST", "/berth/v1/images/diff", R"({"a":"x","b":"y","types":["pip"]})").status, 400);
  EXPECT_EQ(call(router, "GET", "/berth/v1/images/diff").status, 405);
}

}  // namespace
}  // namespace berth::server::testing
