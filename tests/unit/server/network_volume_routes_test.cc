#include <gtest/gtest.h>

#include "fake_backends.h"
#include "route_harness.h"
#include "server/routes/routes.h"

namespace berth::server::testing {
namespace {

TEST(NetworkRoutes, ConnectParsesTheEndpointAndErrorsMap) {
  Router router;
  FakeNetworks backend;
  add_network_routes(router, backend);
  auto a = call(router, "POST", "/networks/n/connect",
                R"({"Container":"c","EndpointConfig":{"Aliases":["web"],"IPAMConfig":{"IPv4Address":"10.9.0.9"}}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(backend.connected->ipv4_address, "10.9.0.9");
  EXPECT_EQ(call(router, "POST", "/networks/n/connect", R"({"Container":5})").status, 400);
  EXPECT_EQ(call(router, "GET", "/networks?filters=[1]").status, 400);
  backend.error = Error{Errc::NotFound, 0, "network n not found"};
  for (auto [m, t] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/networks/n"}, {"DELETE", "/networks/n"}, {"GET", "/networks"}, {"POST", "/networks/prune"}})
    EXPECT_EQ(call(router, m, t).status, 404) << t;
  backend.error = Error{Errc::Conflict, 0, "in use"};
  EXPECT_EQ(call(router, "POST", "/networks/create", R"({"Name":"x"})").status, 409);
}

TEST(VolumeRoutes, CreateChecksTypesAndErrorsMap) {
  Router router;
  FakeVolumes backend;
  add_volume_routes(router, backend);
  EXPECT_EQ(call(router, "POST", "/volumes/create", R"({"Name":"v"})").status, 201);
  auto a = call(router, "POST", "/volumes/create", R"({"Name":"v","Labels":{"a":1}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.message().find("Labels"), std::string::npos);
  EXPECT_EQ(call(router, "POST", "/volumes/create", "[]").status, 400);
  backend.error = Error{Errc::Conflict, 0, "remove v: volume is in use"};
  EXPECT_EQ(call(router, "DELETE", "/volumes/v").status, 409);
  backend.error = Error{Errc::NotFound, 0, "get v: no such volume"};
  EXPECT_EQ(call(router, "GET", "/volumes/v").status, 404);
  EXPECT_EQ(call(router, "POST", "/volumes/prune?filters=%7B%22label%22%3A5%7D").status, 400);
}

}  // namespace
}  // namespace berth::server::testing
