#include <gtest/gtest.h>

#include "api/client.h"

namespace berth::api {
namespace {

TEST(Endpoint, Parse) {
  auto e = Endpoint::parse("unix:///run/berth/berth.sock");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, Endpoint::Kind::Unix);
  EXPECT_EQ(e->path, "/run/berth/berth.sock");
  e = Endpoint::parse("/tmp/x.sock");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->path, "/tmp/x.sock");
  e = Endpoint::parse("tcp://127.0.0.1:2376");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, Endpoint::Kind::Tcp);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 2376);
  e = Endpoint::parse("tcp://[::1]:99");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 99);
  e = Endpoint::parse("tcp://example");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 2375);

  for (const char* bad : {"ssh://me@host", "npipe:////./pipe/docker_engine", "unix://relative", "tcp://h:0",
                          "tcp://h:99999", "tcp://h:x", ""}) {
    auto r = Endpoint::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

TEST(StreamDemux, SplitsFramesFedInAnyPieces) {
  std::string wire;
  auto frame = [&](int stream, std::string_view payload) {
    char h[8] = {static_cast<char>(stream), 0, 0, 0};
    uint32_t n = static_cast<uint32_t>(payload.size());
    h[4] = static_cast<char>(n >> 24);
    h[5] = static_cast<char>(n >> 16);
    h[6] = static_cast<char>(n >> 8);
    h[7] = static_cast<char>(n);
    wire.append(h, 8);
    wire.append(payload);
  };
  frame(1, "hello ");
  frame(2, "oops");
  frame(1, std::string(70000, 'x'));
  frame(1, "");
  frame(3, "died");
  for (size_t step : {wire.size(), size_t{1}, size_t{3}, size_t{7}, size_t{8}, size_t{4096}}) {
    StreamDemux d;
    std::vector<std::pair<int, std::string>> got;
    for (size_t i = 0; i < wire.size(); i += step)
      d.feed(std::string_view(wire).substr(i, step),
             [&](int s, std::string_view p) { got.emplace_back(s, std::string(p)); });
    ASSERT_EQ(got.size(), 5u) << "step " << step;
    EXPECT_EQ(got[0], (std::pair<int, std::string>{1, "hello "}));
    EXPECT_EQ(got[1], (std::pair<int, std::string>{2, "oops"}));
    EXPECT_EQ(got[2].second.size(), 70000u);
    EXPECT_EQ(got[3], (std::pair<int, std::string>{1, ""}));
    EXPECT_EQ(got[4], (std::pair<int, std::string>{3, "died"}));
  }
}

TEST(Status, ErrcForStatus) {
  EXPECT_EQ(errc_for_status(400), Errc::InvalidArgument);
  EXPECT_EQ(errc_for_status(403), Errc::PermissionDenied);
  EXPECT_EQ(errc_for_status(404), Errc::NotFound);
  EXPECT_EQ(errc_for_status(409), Errc::Conflict);
  EXPECT_EQ(errc_for_status(501), Errc::Unsupported);
  EXPECT_EQ(errc_for_status(503), Errc::Unavailable);
  EXPECT_EQ(errc_for_status(500), Errc::Internal);
}

TEST(Response, ErrorMessage) {
  Response r;
  r.status = 404;
  r.headers["content-type"] = "application/json";
  r.body = "{\"message\":\"No such container: x\"}\n";
  EXPECT_EQ(r.error_message(), "No such container: x");
  r.headers["content-type"] = "text/plain";
  r.body = "404 page not found\n";
  EXPECT_EQ(r.error_message(), "404 page not found");
  r.body = "";
  EXPECT_NE(r.error_message().find("404"), std::string::npos);
}

TEST(Client, MissingDaemonIsUnavailableNamingTheAddress) {
  auto ep = Endpoint::parse("unix:///tmp/berth-api-no-such-dir/berth.sock");
  ASSERT_TRUE(ep);
  auto c = Client::create(*ep);  // lazy: no connection yet
  ASSERT_TRUE(c);
  auto r = (*c)->request("GET", "/version");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_EQ(r.error().message,
            "Cannot connect to the berth daemon at unix:///tmp/berth-api-no-such-dir/berth.sock. Is the daemon "
            "running?");
}

}  // namespace
}  // namespace berth::api
