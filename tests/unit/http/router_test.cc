#include <gtest/gtest.h>

#include "server/http/server.h"

namespace berth::server {
namespace {

struct Routed {
  const Handler* handler = nullptr;
  bool known = false;
  std::vector<std::string> params;
  int tag = -1;
};

class RouterTest : public ::testing::Test {
 protected:
  // Each handler writes its tag into last_ so the test can tell which matched.
  void add(const std::string& method, const std::string& pattern, int tag) {
    router_.add(method, pattern, [this, tag](Request&, ResponseWriter&) -> Result<void> { last_ = tag; return {}; });
  }
  Routed route(const std::string& method, const std::string& path) {
    Request req;
    req.method = method;
    req.path = path;
    Routed r;
    r.handler = router_.match(req, &r.known);
    r.params = req.params;
    if (r.handler) {
      last_ = -1;
      Request dummy;
      struct NoWriter : ResponseWriter {
        Result<void> send(int, std::string_view, std::string_view, const std::map<std::string, std::string>&) override { return {}; }
        Result<void> begin_stream(int, std::string_view, const std::map<std::string, std::string>&) override { return {}; }
        Result<void> write_chunk(std::string_view) override { return {}; }
        Result<void> end_stream() override { return {}; }
        Result<Hijacked> hijack(std::string_view) override { return fail(Errc::Unsupported, "no"); }
        bool responded() const override { return false; }
        int client_fd() const override { return -1; }
      } w;
      (*r.handler)(dummy, w);
      r.tag = last_;
    }
    return r;
  }
  Router router_;
  int last_ = -1;
};

TEST_F(RouterTest, LiteralAndParamSegments) {
  add("GET", "/containers/json", 1);
  add("GET", "/containers/{id}/json", 2);
  add("POST", "/containers/{id}/start", 3);
  EXPECT_EQ(route("GET", "/containers/json").tag, 1);
  auto r = route("GET", "/containers/abc123/json");
  EXPECT_EQ(r.tag, 2);
  EXPECT_EQ(r.params, std::vector<std::string>{"abc123"});
  EXPECT_EQ(route("POST", "/containers/x/start").tag, 3);
  EXPECT_EQ(route("GET", "/containers/x/start").handler, nullptr);
  EXPECT_TRUE(route("GET", "/containers/x/start").known);  // 405, not 404
  EXPECT_FALSE(route("GET", "/containers/x/y/start").known);
  EXPECT_FALSE(route("GET", "/containers/json/").known);  // trailing slash is another path
  EXPECT_FALSE(route("GET", "/containers//json").known);  // empty {id}
}

TEST_F(RouterTest, ParamIsPercentDecoded) {
  add("GET", "/containers/{id}/json", 1);
  EXPECT_EQ(route("GET", "/containers/my%20name/json").params, std::vector<std::string>{"my name"});
  EXPECT_EQ(route("GET", "/containers/a+b/json").params, std::vector<std::string>{"a+b"});  // '+' only in queries
}

TEST_F(RouterTest, RestSegmentWithSuffixSpansSlashes) {
  add("GET", "/images/json", 1);
  add("GET", "/images/{name...}/json", 2);
  add("POST", "/images/{name...}/tag", 3);
  add("GET", "/images/{name...}/history", 4);
  add("GET", "/images/{name...}/get", 5);
  add("GET", "/images/get", 6);
  add("DELETE", "/images/{name...}", 7);

  EXPECT_EQ(route("GET", "/images/json").tag, 1);
  auto r = route("GET", "/images/library/busybox:latest/json");
  EXPECT_EQ(r.tag, 2);
  EXPECT_EQ(r.params, std::vector<std::string>{"library/busybox:latest"});
  r = route("GET", "/images/localhost:5000/a/b:c/json");
  EXPECT_EQ(r.tag, 2);
  EXPECT_EQ(r.params, std::vector<std::string>{"localhost:5000/a/b:c"});
  r = route("POST", "/images/localhost:5000/a/b:c/tag");
  EXPECT_EQ(r.tag, 3);
  EXPECT_EQ(r.params, std::vector<std::string>{"localhost:5000/a/b:c"});
  EXPECT_EQ(route("GET", "/images/busybox/history").params, std::vector<std::string>{"busybox"});
  EXPECT_EQ(route("GET", "/images/busybox@sha256:abcd/get").params,
            std::vector<std::string>{"busybox@sha256:abcd"});
  EXPECT_EQ(route("GET", "/images/get").tag, 6);

  r = route("DELETE", "/images/localhost:5000/a/b:c");
  EXPECT_EQ(r.tag, 7);
  EXPECT_EQ(r.params, std::vector<std::string>{"localhost:5000/a/b:c"});
  // An image may be called ".../json": for DELETE the whole rest is the name.
  EXPECT_EQ(route("DELETE", "/images/a/json").params, std::vector<std::string>{"a/json"});
  // The rest must not be empty.
  EXPECT_FALSE(route("GET", "/images//json").handler);
  EXPECT_FALSE(route("DELETE", "/images/").handler);
}

TEST_F(RouterTest, RestSegmentFollowedByParam) {
  add("GET", "/plugins/{name...}/x/{id}", 1);
  auto r = route("GET", "/plugins/a/b/x/7");
  EXPECT_EQ(r.tag, 1);
  EXPECT_EQ(r.params, (std::vector<std::string>{"a/b", "7"}));
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  add("GET", "/_ping", 1);
  add("GET", "/version", 2);
  add("HEAD", "/version", 3);
  EXPECT_EQ(route("HEAD", "/_ping").tag, 1);
  EXPECT_EQ(route("HEAD", "/version").tag, 3);
  EXPECT_FALSE(route("POST", "/_ping").handler);
  EXPECT_TRUE(route("POST", "/_ping").known);
}

TEST_F(RouterTest, FirstAddedWins) {
  add("GET", "/a/{x}", 1);
  add("GET", "/a/b", 2);
  EXPECT_EQ(route("GET", "/a/b").tag, 1);
}

TEST(RouterDeathTest, MalformedPatternAborts) {
  Router r;
  EXPECT_DEATH(r.add("GET", "/a/{x...}/{y...}", {}), "more than one");
  EXPECT_DEATH(r.add("GET", "/a/x{y}", {}), "whole segment");
  EXPECT_DEATH(r.add("GET", "a", {}), "begin with");
}

}  // namespace
}  // namespace berth::server
