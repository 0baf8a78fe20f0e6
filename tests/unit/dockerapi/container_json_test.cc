// Docker's container JSON at the API edge: parsed into the typed spec with
// Go's semantics (case-insensitive keys, null as zero, StrSlice strings) and
// rendered back in Docker's shapes.
#include <gtest/gtest.h>

#include "dockerapi/container_create.h"
#include "dockerapi/container_json.h"
#include "dockerapi/exec_json.h"

namespace berth::dockerapi {
namespace {

using nlohmann::json;

TEST(ParseCreate, NamespacePathsAreNotForDockerClients) {
  for (const char* body : {R"({"Image":"x","HostConfig":{"NetworkMode":"ns:/run/netns/x"}})",
                           R"({"Image":"x","HostConfig":{"IpcMode":"ns:/proc/1/ns/ipc"}})",
                           R"({"Image":"x","HostConfig":{"PidMode":"ns:/proc/1/ns/pid"}})",
                           R"({"Image":"x","HostConfig":{"UTSMode":"ns:/proc/1/ns/uts"}})"}) {
    auto s = parse_create_body(json::parse(body));
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(s.error().code, Errc::InvalidArgument) << body;
    EXPECT_NE(s.error().message.find("not available through this API"), std::string::npos) << s.error().message;
  }
}

TEST(ParseCreate, GoSemantics) {
  auto s = parse_create_body(json::parse(R"({"image":"busybox","Env":null,"Cmd":["a","b"],"Entrypoint":"",
      "HostConfig":{"NetworkMode":"container:web","PidMode":"host","Binds":["/a:/b:ro"],"Init":true,
                    "PidsLimit":null,"ConsoleSize":[24,80]}})"));
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->config.image, "busybox") << "keys match without regard to case, as Go's";
  EXPECT_TRUE(s->config.env.empty());
  EXPECT_EQ(s->config.entrypoint, std::vector<std::string>{""});
  EXPECT_EQ(s->host.network_mode.kind, model::NetworkMode::Kind::Container);
  EXPECT_EQ(s->host.network_mode.target, "web");
  EXPECT_TRUE(s->host.pid_mode.is_host());
  EXPECT_EQ(s->host.init, true);
  EXPECT_FALSE(s->host.resources.pids_limit);
  EXPECT_EQ(*s->host.console_size, (std::array<unsigned, 2>{24, 80}));
}

TEST(ParseCreate, ErrorsNameTheField) {
  auto check = [](const char* body, const std::string& message) {
    auto s = parse_create_body(json::parse(body));
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(s.error().code, Errc::InvalidArgument);
    EXPECT_EQ(s.error().message, message) << body;
  };
  check(R"({"Image":"x","Tty":"yes"})", "json: cannot unmarshal string into Go struct field Tty of type bool");
  check(R"({"Image":"x","HostConfig":{"CpuShares":1.5}})",
        "json: cannot unmarshal number 1.5 into Go struct field HostConfig.CpuShares of type int64");
  check(R"({"Image":"x","HostConfig":[]})", "json: cannot unmarshal array into Go struct field HostConfig of type struct");
  check(R"({"Image":"x","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}})", "invalid restart policy 'sometimes'");
  check(R"({"Image":"x","HostConfig":{"CgroupnsMode":"shared"}})", "invalid cgroup namespace mode: shared");
  check(R"({"Image":"x","HostConfig":{"UTSMode":"container:y"}})", "invalid UTS mode: container:y");
  check(R"({"Image":"x","HostConfig":{"Mounts":[{"Type":"bind","Target":"/x","BindOptions":{"Propagation":"weird"}}]}})",
        "invalid propagation mode: weird");
  check(R"({"Image":"x","Labels":{"a":1}})", "json: cannot unmarshal number 1 into Go struct field Labels of type string");
  check(R"("x")", "the request body must be a JSON object (the container's config)");
}

TEST(ParseCreate, SettingsBerthCannotHonourAreRefused) {
  for (const char* body : {R"({"Image":"x","HostConfig":{"DeviceRequests":[{"Driver":"nvidia","Count":-1}]}})",
                           R"({"Image":"x","HostConfig":{"Devices":[{"PathInContainer":"/dev/fuse"}]}})",
                           R"({"Image":"x","HostConfig":{"Links":["a:b"]}})",
                           R"({"Image":"x","HostConfig":{"CpuRealtimeRuntime":1000}})",
                           R"({"Image":"x","HostConfig":{"VolumeDriver":"nfs"}})"}) {
    auto s = parse_create_body(json::parse(body));
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(s.error().code, Errc::InvalidArgument) << body;
  }
  // Empty forms of them, as clients send by default, are fine.
  EXPECT_TRUE(parse_create_body(json::parse(
      R"({"Image":"x","HostConfig":{"Devices":[],"Links":null,"CpuRealtimeRuntime":0,"VolumeDriver":"","Isolation":""}})")));
}

// docker-compose 1.29's `run` links its one-off container to its own service's
// containers (HostConfig.Links) on the project's network: dockerd keeps them
// and registers no legacy link there, and neither does berth.
TEST(ParseCreate, DevicesAndDeviceCgroupRulesRoundTrip) {
  auto s = parse_create_body(json::parse(
      R"({"Image":"x","HostConfig":{"Devices":[{"PathOnHost":"/dev/fuse","PathInContainer":"","CgroupPermissions":"rwm"},
          {"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"r"}],
          "DeviceCgroupRules":["c 10:229 rwm"]}})"));
  ASSERT_TRUE(s) << s.error().str();
  ASSERT_EQ(s->host.devices.size(), 2u);
  EXPECT_EQ(s->host.devices[1], (model::DeviceMapping{"/dev/null", "/dev/xnull", "r"}));
  EXPECT_EQ(s->host.device_cgroup_rules, std::vector<std::string>{"c 10:229 rwm"});
  json h = render_host_config(s->host);
  EXPECT_EQ(h["Devices"], json::parse(R"([{"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"},
      {"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"r"}])"));
  EXPECT_EQ(h["DeviceCgroupRules"], json::parse(R"(["c 10:229 rwm"])"));
}

TEST(ParseCreate, LinksOnAUserDefinedNetworkAreAcceptedAndUnused) {
  auto s = parse_create_body(json::parse(R"({"Image":"x","HostConfig":{"NetworkMode":"proj_appnet",
      "Links":["proj_client_1:client","proj_client_1:proj_client_1","/proj_client_1:client_1"]},
      "NetworkingConfig":{"EndpointsConfig":{"proj_appnet":{"Aliases":["client"]}}}})"));
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->host.network_mode.kind, model::NetworkMode::Kind::Network);
  EXPECT_EQ(s->endpoints.at("proj_appnet").aliases, std::vector<std::string>{"client"});
  auto check = [](const char* body, const std::string& message) {
    auto r = parse_create_body(json::parse(body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << body;
    EXPECT_EQ(r.error().message, message) << body;
  };
  check(R"({"Image":"x","HostConfig":{"NetworkMode":"net","Links":["a:b:c"]}})", "bad format for links: a:b:c");
  check(R"({"Image":"x","NetworkingConfig":{"EndpointsConfig":{"net":{"Links":["a::b"]}}}})",
        "bad format for links: a::b");
  check(R"({"Image":"x","HostConfig":{"NetworkMode":"net","Links":[":b"]}})", "bad format for links: :b");
  check(R"({"Image":"x","HostConfig":{"NetworkMode":"host","Links":["a:b"]}})",
        "conflicting options: host type networking can't be used with links. This would result in undefined behavior");
  check(R"({"Image":"x","HostConfig":{"NetworkMode":"container:y","Links":["a"]}})",
        "conflicting options: container type network can't be used with links. This would result in undefined "
        "behavior");
  check(R"({"Image":"x","HostConfig":{"NetworkMode":"bridge","Links":["a:b"]}})",
        "HostConfig.Links: legacy links outside a user-defined network are not supported by berth yet (on a "
        "user-defined network containers find each other by name)");
}

// EndpointSettings.Links: the docker CLI's `run --network NET --link a:b`, a
// compose service's `links:` (sent with POST /networks/NET/connect).
TEST(ParseCreate, MacAddressesAreCheckedAndWrittenOneWay) {
  auto s = parse_create_body(json::parse(R"({"Image":"x","MacAddress":"92-D0-C6-0A-29-33",
      "NetworkingConfig":{"EndpointsConfig":{"net":{"MacAddress":"0242.AC11.0002"},"other":{}}}})"));
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->config.mac_address, "92:d0:c6:0a:29:33");
  EXPECT_EQ(s->endpoints.at("net").mac_address, "02:42:ac:11:00:02");
  EXPECT_EQ(s->endpoints.at("other").mac_address, "");
  auto bad = parse_create_body(json::parse(R"({"Image":"x",
      "NetworkingConfig":{"EndpointsConfig":{"net":{"MacAddress":"01:00:5e:00:00:01"}}}})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
  EXPECT_EQ(bad.error().message,
            "NetworkingConfig.EndpointsConfig[net].MacAddress: invalid MAC address 01:00:5e:00:00:01: it is a "
            "multicast address");
  bad = parse_create_body(json::parse(R"({"Image":"x","MacAddress":"nope"})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "MacAddress: invalid MAC address: nope");
}

TEST(ParseCreate, EndpointLinksAreKeptForTheEngine) {
  auto s = parse_create_body(json::parse(R"({"Image":"x","HostConfig":{"NetworkMode":"net"},
      "NetworkingConfig":{"EndpointsConfig":{"net":{"Links":["proj_db_1:database","web"]}}}})"));
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->endpoints.at("net").links, (std::vector<std::string>{"proj_db_1:database", "web"}));
  model::EndpointInfo e;
  e.links = {"proj_db_1:database"};
  e.aliases = {"client"};
  model::ContainerInfo c;
  c.network.networks.push_back({"net", e});
  json net = render_inspect(c)["NetworkSettings"]["Networks"]["net"];
  EXPECT_EQ(net["Links"], json({"proj_db_1:database"}));
  EXPECT_EQ(net["Aliases"], json({"client"}));
}

TEST(Render, InspectHasDockersShapes) {
  model::ContainerInfo c;
  c.id = "abc";
  c.name = "/web";
  c.path = "sh";
  c.spec.config.cmd = std::vector<std::string>{"sh"};
  c.spec.host.restart_policy = {model::RestartPolicyName::OnFailure, 2};
  c.spec.host.log_config = {"json-file", {{"max-size", "200m"}}};
  c.spec.host.resources.pids_limit = 10;
  c.network.networks.emplace_back("bridge", model::EndpointInfo{"nid", "eid", "172.17.0.1", "172.17.0.2", "", 16, {}, ""});
  c.network.ports["80/tcp"] = std::nullopt;
  auto j = render_inspect(c);
  EXPECT_EQ(j["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(j["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 2);
  EXPECT_EQ(j["HostConfig"]["LogConfig"]["Config"]["max-size"], "200m");
  EXPECT_EQ(j["HostConfig"]["PidsLimit"], 10);
  EXPECT_TRUE(j["HostConfig"]["MemorySwappiness"].is_null());
  EXPECT_EQ(j["HostConfig"]["NetworkMode"], "default");
  EXPECT_EQ(j["Config"]["Cmd"], json::array({"sh"}));
  EXPECT_TRUE(j["Config"]["Entrypoint"].is_null());
  EXPECT_EQ(j["NetworkSettings"]["IPAddress"], "172.17.0.2");
  EXPECT_TRUE(j["NetworkSettings"]["Ports"]["80/tcp"].is_null());
  EXPECT_EQ(j["State"]["Status"], "created");
}

TEST(Render, SummaryQuotesArgumentsWithSpacesAsDockerd) {
  EXPECT_EQ(summary_command("sh", {"-c", "echo a; echo b"}), "sh -c 'echo a; echo b'");
  EXPECT_EQ(summary_command("true", {}), "true");
  EXPECT_EQ(summary_command("echo", {"a", "b c", "d"}), "echo a 'b c' d");
}

TEST(Render, StatusText) {
  model::RunState s;
  EXPECT_EQ(status_text(s, false, 100), "Created");
  s.finished_at = "1970-01-01T00:00:40Z";
  s.exit_code = 2;
  EXPECT_EQ(status_text(s, true, 100), "Exited (2) About a minute ago");
  s.running = true;
  s.started_at = "1970-01-01T00:01:35Z";
  EXPECT_EQ(status_text(s, true, 100), "Up 5 seconds");
  s.paused = true;
  EXPECT_EQ(status_text(s, true, 100), "Up 5 seconds (Paused)");
}

TEST(ExecJson, ParsesAndRenders) {
  auto e = parse_exec_create(json::parse(R"({"Cmd":"ls","AttachStdout":true})"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->cmd, std::vector<std::string>{"ls"});
  EXPECT_FALSE(parse_exec_create(json::parse(R"({"Cmd":[1]})")));
  model::ExecInfo info;
  info.id = "e";
  info.spec.cmd = {"ls", "-l"};
  info.exit_code = 3;
  auto j = render_exec(info);
  EXPECT_EQ(j["ExitCode"], 3);
  EXPECT_EQ(j["ProcessConfig"]["entrypoint"], "ls");
  EXPECT_EQ(j["ProcessConfig"]["arguments"], json::array({"-l"}));
}

}  // namespace
}  // namespace berth::dockerapi
