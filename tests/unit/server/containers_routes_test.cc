// The container routes against a fake backend: Docker's JSON parsed once at
// the edge (type and enum errors are 400 naming the field), the backend's
// error codes mapped to statuses in one place, views rendered as Docker's.
#include <gtest/gtest.h>

#include "fake_backends.h"
#include "route_harness.h"
#include "server/routes/routes.h"

namespace berth::server::testing {
namespace {

class ContainerRoutes : public ::testing::Test {
 protected:
  void SetUp() override { add_container_routes(router, backend); }
  Router router;
  FakeContainers backend;
};

TEST_F(ContainerRoutes, CreateParsesTheBodyIntoTheSpec) {
  auto a = call(router, "POST", "/v1.41/containers/create?name=web",
                R"({"Image":"busybox","Cmd":"true","HostConfig":{"Memory":67108864,
                    "RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},
                    "LogConfig":{"Type":"json-file","Config":{"max-size":"200m"}},
                    "PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]}},
                    "NetworkingConfig":{"EndpointsConfig":{"appnet":{"Aliases":["db"]}}}})");
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_EQ(a.json()["Id"], "id-web");
  ASSERT_TRUE(backend.created);
  const auto& s = *backend.created;
  EXPECT_EQ(s.config.image, "busybox");
  EXPECT_EQ(s.config.cmd, std::vector<std::string>{"true"});  // a string Cmd (old clients) is a one-element list
  EXPECT_EQ(s.host.resources.memory, 67108864);
  EXPECT_EQ(s.host.restart_policy.name, model::RestartPolicyName::OnFailure);
  EXPECT_EQ(s.host.restart_policy.max_retries, 3);
  EXPECT_EQ(s.host.log_config.options.at("max-size"), "200m");
  EXPECT_EQ(s.host.port_bindings.at("80/tcp").at(0).host_port, "8080");
  EXPECT_EQ(s.endpoints.at("appnet").aliases, std::vector<std::string>{"db"});
}

TEST_F(ContainerRoutes, WrongTypesAreBadRequestsNamingTheField) {
  auto a = call(router, "POST", "/containers/create", R"({"Image":"busybox","HostConfig":{"Memory":"1g"}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message(), "json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64");
  a = call(router, "POST", "/containers/create", R"({"Image":"busybox","Env":"A=1"})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message(), "json: cannot unmarshal string into Go struct field Env of type []string");
  a = call(router, "POST", "/containers/create", R"({"Image":"busybox","HostConfig":{"Ulimits":[{"Name":1}]}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.message().find("HostConfig.Ulimits[0].Name"), std::string::npos) << a.message();
  EXPECT_FALSE(backend.created) << "nothing reaches the engine";
}

TEST_F(ContainerRoutes, UnknownEnumValuesAreBadRequests) {
  auto a = call(router, "POST", "/containers/create",
                R"({"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message(), "invalid restart policy 'sometimes'");
  a = call(router, "POST", "/containers/create", R"({"Image":"busybox","HostConfig":{"IpcMode":"bogus"}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message(), "invalid IPC mode: bogus");
  a = call(router, "POST", "/containers/create",
           R"({"Image":"busybox","HostConfig":{"Mounts":[{"Type":"nfs","Target":"/x"}]}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message(), "mount type unknown: \"nfs\"");
  a = call(router, "POST", "/containers/create",
           R"({"Image":"busybox","HostConfig":{"DeviceRequests":[{"Driver":"nvidia","Count":-1}]}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.message().find("HostConfig.DeviceRequests"), std::string::npos);
}

TEST_F(ContainerRoutes, MalformedJsonGetsGosWordsNotTheLibrarys) {
  auto a = call(router, "POST", "/containers/create", R"({x)");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message().rfind("invalid character 'x' looking for beginning of object key string", 0), 0u) << a.message();
  EXPECT_EQ(a.message().find("json.exception"), std::string::npos);
  a = call(router, "POST", "/containers/create", R"({"Image":)");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message().rfind("unexpected end of JSON input", 0), 0u) << a.message();
}

TEST_F(ContainerRoutes, BackendErrorsMapToStatuses) {
  const std::pair<Errc, int> cases[] = {{Errc::NotFound, 404},     {Errc::Conflict, 409},   {Errc::InvalidArgument, 400},
                                        {Errc::PermissionDenied, 403}, {Errc::Unsupported, 501}, {Errc::Internal, 500}};
  for (auto [code, status] : cases) {
    backend.error = Error{code, 0, "because"};
    for (auto [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"POST", "/containers/x/start"}, {"POST", "/containers/x/stop"},   {"POST", "/containers/x/kill"},
             {"DELETE", "/containers/x"},     {"GET", "/containers/x/json"},    {"GET", "/containers/json"},
             {"POST", "/containers/x/pause"}, {"GET", "/containers/x/top"},     {"POST", "/containers/x/rename?name=y"},
             {"GET", "/containers/x/changes"}, {"POST", "/containers/prune"}, {"POST", "/containers/x/wait"}}) {
      auto a = call(router, method, target);
      EXPECT_EQ(a.status, status) << method << " " << target << ": " << a.body;
      EXPECT_EQ(a.message(), "because") << target;
    }
  }
}

TEST_F(ContainerRoutes, BadParametersAreRefusedBeforeTheBackend) {
  EXPECT_EQ(call(router, "POST", "/containers/x/stop?t=soon").status, 400);
  EXPECT_EQ(call(router, "POST", "/containers/x/wait?condition=forever").message(), "invalid condition: \"forever\"");
  EXPECT_EQ(call(router, "GET", "/containers/json?filters=notjson").status, 400);
  EXPECT_EQ(call(router, "GET", "/containers/x/logs?since=yesterday&stdout=1").status, 400);
  EXPECT_EQ(call(router, "GET", "/containers/x/archive").message(), "Bad parameter: path cannot be empty");
  EXPECT_EQ(call(router, "POST", "/containers/x/resize?h=-1&w=3").status, 400);
}

TEST_F(ContainerRoutes, ListRendersDockersCommandQuoting) {
  auto a = call(router, "GET", "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json()[0]["Command"], "sh -c 'echo a; echo b'");
  EXPECT_EQ(backend.last_filters.at("label"), std::vector<std::string>{"a=b"});
}

TEST_F(ContainerRoutes, UpdateParsesResources) {
  auto a = call(router, "POST", "/containers/x/update", R"({"Memory":"lots"})");
  EXPECT_EQ(a.status, 400);
  a = call(router, "POST", "/containers/x/update", R"({"Memory":33554432,"RestartPolicy":{"Name":"nope"}})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.message(), "invalid restart policy 'nope'");
  a = call(router, "POST", "/containers/x/update", R"({"Memory":33554432})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(backend.updated->memory, 33554432);
}

}  // namespace
}  // namespace berth::server::testing
