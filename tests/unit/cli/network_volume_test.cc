// Networks, volumes and ports: the request bodies and texts must be those of
// docker-cli 28.2.2 (captured against a fake API 1.41 server on a UNIX socket).
#include <gtest/gtest.h>

#include "cli/port_spec.h"
#include "cli/cli.h"
#include "cli/go_compat.h"
#include "cli/mount_opt.h"
#include "cli/network_opt.h"
#include "cli/resource_requests.h"
#include "cli/run_options.h"

namespace berth::cli {
namespace {

RunEnvironment env() {
  return RunEnvironment{
      .getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; },
      .read_file = [](const std::string&) -> Result<std::string> { return fail(Errc::NotFound, "no"); },
      .cwd = [] { return std::string("/home/u/proj"); },
  };
}

Json ports_json(const PortSpecs& p) {
  Json j = Json::object();
  Json exposed = Json::array();
  for (const auto& [k, v] : p.exposed) exposed.push_back(k);
  j["exposed"] = exposed;
  Json b = Json::object();
  for (const auto& [k, list] : p.bindings) {
    for (const auto& x : list) b[k].push_back(x.host_ip + "|" + x.host_port);
  }
  j["bindings"] = b;
  return j;
}

TEST(Publish, AsDockerCli) {
  struct Case {
    std::string spec, expected;  // expected: JSON of ports_json, or "error: ..."
  };
  const Case cases[] = {
      {"80", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["|"]}})"},
      {"127.0.0.1:8080:80/tcp", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["127.0.0.1|8080"]}})"},
      {"127.0.0.1::80", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["127.0.0.1|"]}})"},
      {":80", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["|"]}})"},
      {"0:80", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["|0"]}})"},
      {"80/sctp", R"({"exposed":["80/sctp"],"bindings":{"80/sctp":["|"]}})"},
      {"80:90/tcp/udp", R"({"exposed":["90/tcp"],"bindings":{"90/tcp":["|80"]}})"},
      {"8000-8002:80-82/udp",
       R"({"exposed":["80/udp","81/udp","82/udp"],"bindings":{"80/udp":["|8000"],"81/udp":["|8001"],"82/udp":["|8002"]}})"},
      {"80-82", R"({"exposed":["80/tcp","81/tcp","82/tcp"],"bindings":{"80/tcp":["|"],"81/tcp":["|"],"82/tcp":["|"]}})"},
      {"8080-8081:80", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["|8080-8081"]}})"},
      {"[::1]:53:53/udp", R"({"exposed":["53/udp"],"bindings":{"53/udp":["::1|53"]}})"},
      {"[::]:80:80", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["::|80"]}})"},
      {"::1:80:80", R"({"exposed":["80/tcp"],"bindings":{"80/tcp":["::1|80"]}})"},
      {"published=8080,target=80,protocol=udp", R"({"exposed":["80/udp"],"bindings":{"80/udp":["|8080"]}})"},
      {"80/foo", "error: invalid proto: foo"},
      {"abc", "error: invalid containerPort: abc"},
      {"70000", "error: invalid containerPort: 70000"},
      {"80-79", "error: invalid containerPort: 80-79"},
      {"8080-8085:80-81", "error: invalid ranges specified for container and host Ports: 80-81 and 8080-8085"},
      {"127.0.0.1:8080:80:90", "error: invalid IP address: 127.0.0.1:8080"},
      {"8080:", "error: no port specified: 8080:<empty>"},
      {"99999:80", "error: invalid hostPort: 99999"},
      {"1.2.3:80:80", "error: invalid IP address: 1.2.3"},
  };
  for (const auto& c : cases) {
    PortSpecs p;
    auto r = add_publish_spec(c.spec, p);
    if (c.expected.starts_with("error: ")) {
      ASSERT_FALSE(r) << c.spec;
      EXPECT_EQ(r.error().message, c.expected.substr(7)) << c.spec;
    } else {
      ASSERT_TRUE(r) << c.spec << ": " << r.error().message;
      EXPECT_EQ(ports_json(p), Json::parse(c.expected)) << c.spec;
    }
  }
}

TEST(Expose, AsDockerCli) {
  PortSpecs p;
  ASSERT_TRUE(add_expose_spec("7000-7001", p));
  ASSERT_TRUE(add_expose_spec("6000/udp", p));
  ASSERT_TRUE(add_expose_spec("80/foo", p));  // docker-cli does not check --expose's protocol
  EXPECT_EQ(ports_json(p)["exposed"], Json::parse(R"(["6000/udp","7000/tcp","7001/tcp","80/foo"])"));
  auto bad = add_expose_spec("abc", p);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "invalid range format for --expose: abc, error: strconv.ParseUint: parsing \"abc\": invalid syntax");
  bad = add_expose_spec("80-79", p);
  EXPECT_EQ(bad.error().message, "invalid range format for --expose: 80-79, error: invalid range specified for port: 80-79");
  bad = add_expose_spec("1:2", p);
  EXPECT_EQ(bad.error().message, "invalid port format for --expose: 1:2");
}

const char* kInspectPorts = R"({
  "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
  "443/tcp": null,
  "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}],
  "9000/tcp": [{"HostIp": "", "HostPort": "32768"}],
  "7000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32769"}]})";

TEST(Port, LinesAsDockerPort) {
  Json ports = Json::parse(kInspectPorts);
  auto all = port_lines(ports, "", "web");
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, (std::vector<std::string>{"53/udp -> 127.0.0.1:5353", "80/tcp -> 0.0.0.0:8080",
                                            "80/tcp -> [::]:8080", "7000/tcp -> 0.0.0.0:32769",
                                            "9000/tcp -> :32768"}));
  EXPECT_EQ(*port_lines(ports, "80", "web"), (std::vector<std::string>{"0.0.0.0:8080", "[::]:8080"}));
  EXPECT_EQ(*port_lines(ports, "53/udp", "web"), (std::vector<std::string>{"127.0.0.1:5353"}));
  auto none = port_lines(ports, "443", "web");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "Error: No public port '443' published for web");
  auto bad = port_lines(ports, "abc", "web");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Error: invalid port (abc): strconv.ParseUint: parsing \"abc\": invalid syntax");
  EXPECT_TRUE(port_lines(Json(nullptr), "", "web")->empty());
}

TEST(Port, PsColumnAsDocker) {
  struct Case {
    const char* ports;
    const char* expected;
  };
  const Case cases[] = {
      {R"([{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
           {"IP":"::","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
           {"PrivatePort":443,"Type":"tcp"},{"PrivatePort":444,"Type":"tcp"},{"PrivatePort":445,"Type":"tcp"},
           {"PrivatePort":53,"Type":"udp"},
           {"IP":"127.0.0.1","PrivatePort":9000,"PublicPort":9000,"Type":"tcp"},
           {"IP":"127.0.0.1","PrivatePort":9001,"PublicPort":9001,"Type":"tcp"},
           {"IP":"0.0.0.0","PrivatePort":7000,"PublicPort":32768,"Type":"tcp"},
           {"IP":"::","PrivatePort":7000,"PublicPort":32768,"Type":"tcp"},
           {"IP":"0.0.0.0","PrivatePort":5000,"PublicPort":5000,"Type":"sctp"}])",
       "53/udp, 443-445/tcp, 0.0.0.0:5000->5000/sctp, 127.0.0.1:9000-9001->9000-9001/tcp, 0.0.0.0:8080->80/tcp, "
       "[::]:8080->80/tcp, 0.0.0.0:32768->7000/tcp, [::]:32768->7000/tcp"},
      {R"([{"IP":"::","PrivatePort":6000,"PublicPort":6000,"Type":"tcp"},
           {"IP":"0.0.0.0","PrivatePort":6000,"PublicPort":6000,"Type":"tcp"},
           {"PrivatePort":10,"Type":"tcp"},{"PrivatePort":12,"Type":"tcp"},{"PrivatePort":13,"Type":"tcp"},
           {"PrivatePort":20,"Type":"tcp"},{"PrivatePort":11,"Type":"udp"}])",
       "10/tcp, 12-13/tcp, 20/tcp, 11/udp, 0.0.0.0:6000->6000/tcp, [::]:6000->6000/tcp"},
      {"[]", ""},
      {"null", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(displayable_ports(Json::parse(c.ports)), c.expected) << c.ports;
}

TEST(Mount, CsvAsDockerCli) {
  struct Case {
    std::string spec, expected;  // the Mounts entry as docker sends it, or "error: ..."
  };
  const Case cases[] = {
      {"type=volume,src=v2,dst=/y", R"({"Type":"volume","Source":"v2","Target":"/y"})"},
      {"dst=/a", R"({"Type":"volume","Target":"/a"})"},
      {"type=bind,source=/src,target=/dst,readonly,bind-propagation=rshared",
       R"({"Type":"bind","Source":"/src","Target":"/dst","ReadOnly":true,"BindOptions":{"Propagation":"rshared"}})"},
      {"type=bind,src=./rel,dst=/a", R"({"Type":"bind","Source":"/home/u/proj/rel","Target":"/a"})"},
      {"type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770",
       R"({"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576,"Mode":1016}})"},
      {"type=volume,src=v3,dst=/z,volume-driver=local,volume-label=a=b,volume-opt=type=tmpfs,volume-nocopy,volume-subpath=sub",
       R"({"Type":"volume","Source":"v3","Target":"/z","VolumeOptions":{"NoCopy":true,"Labels":{"a":"b"},"Subpath":"sub",
           "DriverConfig":{"Name":"local","Options":{"type":"tmpfs"}}}})"},
      {"type=volume,dst=/a,volume-nocopy", R"({"Type":"volume","Target":"/a","VolumeOptions":{"NoCopy":true,"DriverConfig":{}}})"},
      {"type=volume,dst=/a,ro", R"({"Type":"volume","Target":"/a","ReadOnly":true})"},
      {"type=volume,dst=/a,readonly=false", R"({"Type":"volume","Target":"/a"})"},
      {"type=volume,\"dst=/a,b\"", R"({"Type":"volume","Target":"/a,b"})"},
      {"type=foo,dst=/a", R"({"Type":"foo","Target":"/a"})"},  // the daemon refuses unknown types
      {"type=volume", "error: target is required"},
      {"type=volume,dst=/a,tmpfs-size=1m", "error: cannot mix 'tmpfs-*' options with mount type 'volume'"},
      {"type=volume,dst=/a,bogus=1", "error: unexpected key 'bogus' in 'bogus=1'"},
      {"type=volume,dst=/a,nocopy", "error: invalid field 'nocopy' must be a key=value pair"},
      {"type=bind,src=/a,dst=/b,bind-recursive=readonly",
       "error: option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction"},
  };
  for (const auto& c : cases) {
    auto r = parse_mount(c.spec, env());
    if (c.expected.starts_with("error: ")) {
      ASSERT_FALSE(r) << c.spec;
      EXPECT_EQ(r.error().message, c.expected.substr(7)) << c.spec;
    } else {
      ASSERT_TRUE(r) << c.spec << ": " << r.error().message;
      EXPECT_EQ(r->dump(), Json::parse(c.expected).dump()) << c.spec;  // key order too
    }
  }
}

RunOptions base() {
  RunOptions o;
  o.image = "busybox";
  return o;
}

const char* kEmptyEndpoint = R"({"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,
  "GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"",
  "GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null})";

TEST(CreateRequest, PortsNetworksVolumesAsDockerCli28) {
  // docker run -p 127.0.0.1:8080:80/tcp -p 9000 -P --network NAME --ip 10.1.2.3 --network-alias web
  //   -v vol:/data -v /abs:/x:ro --mount type=volume,src=v2,dst=/y --volumes-from other busybox
  RunOptions o = base();
  o.publish = {"127.0.0.1:8080:80/tcp", "9000"};
  o.publish_all = true;
  o.networks = {"NAME"};
  o.ip = "10.1.2.3";
  o.network_aliases = {"web"};
  o.volumes = {"vol:/data", "/abs:/x:ro"};
  o.mounts = {"type=volume,src=v2,dst=/y"};
  o.volumes_from = {"other"};
  auto req = build_create_request(o, true, env());
  ASSERT_TRUE(req) << req.error().message;
  const Json& b = req->body;
  EXPECT_EQ(b["ExposedPorts"].dump(), R"({"80/tcp":{},"9000/tcp":{}})");
  EXPECT_EQ(b["Volumes"], Json::object());
  const Json& h = b["HostConfig"];
  EXPECT_EQ(h["Binds"], Json::parse(R"(["vol:/data","/abs:/x:ro"])"));
  EXPECT_EQ(h["NetworkMode"], "NAME");
  EXPECT_EQ(h["PortBindings"].dump(),
            R"({"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"9000/tcp":[{"HostIp":"","HostPort":""}]})");
  EXPECT_EQ(h["PublishAllPorts"], true);
  EXPECT_EQ(h["VolumesFrom"], Json::parse(R"(["other"])"));
  EXPECT_EQ(h["Mounts"], Json::parse(R"([{"Type":"volume","Source":"v2","Target":"/y"}])"));
  Json ep = Json::parse(kEmptyEndpoint);
  ep["IPAMConfig"] = {{"IPv4Address", "10.1.2.3"}};
  ep["Aliases"] = {"web"};
  Json expected = Json::object();
  expected["EndpointsConfig"]["NAME"] = ep;
  EXPECT_EQ(b["NetworkingConfig"].dump(), expected.dump());
}

TEST(CreateRequest, NetworkModesAsDockerCli28) {
  struct Case {
    std::vector<std::string> networks;
    std::string ip, alias;
    std::string mode, endpoints;  // endpoints: the EndpointsConfig keys with their non-empty fields, or "error: ..."
  };
  const Case cases[] = {
      {{}, "", "", "default", R"({"default":{}})"},
      {{}, "10.0.0.2", "", "default", R"({"default":{"IPAMConfig":{"IPv4Address":"10.0.0.2"}}})"},
      {{"host"}, "", "", "host", "{}"},
      {{"container:other"}, "", "", "container:other", "{}"},
      {{"none"}, "10.0.0.2", "", "none", R"({"none":{"IPAMConfig":{"IPv4Address":"10.0.0.2"}}})"},
      {{"name=MyNet,alias=Web,driver-opt=K=V"}, "", "", "mynet", R"({"mynet":{"Aliases":["web"],"DriverOpts":{"k":"v"}}})"},
      {{"n1", "name=n2,alias=x"}, "1.1.1.1", "y", "n1",
       R"({"n1":{"IPAMConfig":{"IPv4Address":"1.1.1.1"},"Aliases":["y"]},"n2":{"Aliases":["x"]}})"},
      {{"mynet", "other"}, "", "", "mynet", R"({"mynet":{},"other":{}})"},
      {{}, "", "x", "", "error: network-scoped aliases are only supported for user-defined networks"},
      {{"host"}, "", "x", "", "error: network-scoped aliases are only supported for user-defined networks"},
      {{""}, "", "", "", "error: no name set for network"},
      {{"mynet", "host"}, "", "", "",
       "error: conflicting options: cannot attach both user-defined and non-user-defined network-modes"},
      {{"n1", "n1"}, "", "", "", "error: network \"n1\" is specified multiple times"},
      {{"name=n1,alias=a"}, "", "b", "", "error: conflicting options: cannot specify both --network-alias and per-network alias"},
      {{"name=n1,ip=1.2.3.4"}, "1.1.1.1", "", "", "error: conflicting options: cannot specify both --ip and per-network IPv4 address"},
  };
  for (const auto& c : cases) {
    RunOptions o = base();
    o.networks = c.networks;
    o.ip = c.ip;
    if (!c.alias.empty()) o.network_aliases = {c.alias};
    auto req = build_create_request(o, true, env());
    std::string what = Json(c.networks).dump() + " ip=" + c.ip + " alias=" + c.alias;
    if (c.endpoints.starts_with("error: ")) {
      ASSERT_FALSE(req) << what;
      EXPECT_EQ(req.error().message, c.endpoints.substr(7)) << what;
      continue;
    }
    ASSERT_TRUE(req) << what << ": " << req.error().message;
    EXPECT_EQ(req->body["HostConfig"]["NetworkMode"], c.mode) << what;
    Json got = Json::object();
    for (auto& [k, ep] : req->body["NetworkingConfig"]["EndpointsConfig"].items()) {
      EXPECT_EQ(ep.size(), Json::parse(kEmptyEndpoint).size()) << what;  // every field, as docker sends
      Json set = Json::object();
      for (auto& [f, v] : ep.items()) {
        if (!v.is_null() && v != "" && v != 0) set[f] = v;
      }
      got[k] = set;
    }
    EXPECT_EQ(got, Json::parse(c.endpoints)) << what;
  }
}

TEST(CreateRequest, MacAddressAsDockerCli28) {
  auto endpoints = [](std::vector<std::string> networks, std::string mac) -> std::string {
    RunOptions o = base();
    o.networks = std::move(networks);
    o.mac_address = std::move(mac);
    auto req = build_create_request(o, true, env());
    if (!req) return "error: " + req.error().message;
    Json got = Json::object();
    for (auto& [k, ep] : req->body["NetworkingConfig"]["EndpointsConfig"].items()) got[k] = ep["MacAddress"];
    return got.dump();
  };
  EXPECT_EQ(endpoints({}, "92:d0:c6:0a:29:33"), R"({"default":"92:d0:c6:0a:29:33"})");
  EXPECT_EQ(endpoints({"n1", "n2"}, "92:d0:c6:0a:29:33"), R"({"n1":"92:d0:c6:0a:29:33","n2":""})");
  EXPECT_EQ(endpoints({"n1"}, ""), "{}");  // one network without options: no endpoint
  EXPECT_EQ(endpoints({"name=n1,mac-address=02:00:00:00:00:01"}, ""), R"({"n1":"02:00:00:00:00:01"})");
  EXPECT_EQ(endpoints({"name=n1,mac-address=02:00:00:00:00:01"}, "02:00:00:00:00:02"),
            "error: conflicting options: cannot specify both --mac-address and per-network MAC address");
  EXPECT_EQ(endpoints({}, "nope"), "error: nope is not a valid mac address");
}

// Checked against the docker CLI 28's requests: HostConfig.Links always; the
// endpoint's Links only for a user-defined first network.
TEST(CreateRequest, LinkAsDockerCli28) {
  auto request = [](std::vector<std::string> networks) {
    RunOptions o = base();
    o.networks = std::move(networks);
    o.links = {"db:alias"};
    auto req = build_create_request(o, true, env());
    EXPECT_TRUE(req) << req.error().message;
    Json links = Json::object();
    for (auto& [k, ep] : req->body["NetworkingConfig"]["EndpointsConfig"].items()) links[k] = ep["Links"];
    return req->body["HostConfig"]["Links"].dump() + " " + links.dump();
  };
  EXPECT_EQ(request({}), R"(["db:alias"] {"default":null})");
  EXPECT_EQ(request({"mynet"}), R"(["db:alias"] {"mynet":["db:alias"]})");
  EXPECT_EQ(request({"mynet", "other"}), R"(["db:alias"] {"mynet":["db:alias"],"other":null})");
}

TEST(CreateRequest, VolumeFlagAsDockerCli28) {
  RunOptions o = base();
  o.volumes = {"/anon2", "named:/n:rw,z", "./rel:/x", "..:/y", "a", "/y:ro"};
  auto req = build_create_request(o, true, env());
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->body["Volumes"], Json::parse(R"({"/anon2":{},"a":{}})"));
  EXPECT_EQ(req->body["HostConfig"]["Binds"],
            Json::parse(R"(["named:/n:rw,z","/home/u/proj/rel:/x","/home/u:/y","/y:ro"])"));
  EXPECT_FALSE(req->body.contains("ExposedPorts"));
  for (const char* bad : {":/x", ""}) {
    o.volumes = {bad};
    auto r = build_create_request(o, true, env());
    ASSERT_FALSE(r) << bad;
  }
  o.volumes = {":/x"};
  EXPECT_EQ(build_create_request(o, true, env()).error().message, "invalid spec: :/x: empty section between colons");
}

TEST(NetworkCreate, BodyAsDockerCli28) {
  NetworkCreateOptions o;
  o.name = "NAME";
  o.subnets = {"10.1.0.0/16"};
  o.gateways = {"10.1.0.1"};
  o.ip_ranges = {"10.1.2.0/24"};
  o.internal = true;
  o.labels = {"a=b", "c"};
  o.opts = {"com.docker.network.driver.mtu=1400", "com.docker.network.bridge.name=x"};
  auto body = build_network_create(o);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(body->dump(),
            R"({"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.1.0.0/16",)"
            R"("IPRange":"10.1.2.0/24","Gateway":"10.1.0.1"}]},"Internal":true,"Attachable":false,"Ingress":false,)"
            R"("ConfigOnly":false,"ConfigFrom":null,"Options":{"com.docker.network.bridge.name":"x",)"
            R"("com.docker.network.driver.mtu":"1400"},"Labels":{"a":"b","c":""},"Name":"NAME","CheckDuplicate":true})");

  NetworkCreateOptions v6;
  v6.name = "n3";
  v6.ipv6 = true;
  v6.attachable = true;
  v6.subnets = {"10.2.0.0/16", "fd00::/64"};
  v6.aux_addresses = {"host1=10.2.0.5"};
  v6.ipam_opts = {"foo=bar"};
  body = build_network_create(v6);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(body->dump(),
            R"({"Driver":"bridge","Scope":"","EnableIPv6":true,"IPAM":{"Driver":"default","Options":{"foo":"bar"},)"
            R"("Config":[{"Subnet":"10.2.0.0/16","AuxiliaryAddresses":{"host1":"10.2.0.5"}},{"Subnet":"fd00::/64"}]},)"
            R"("Internal":false,"Attachable":true,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},)"
            R"("Labels":{},"Name":"n3","CheckDuplicate":true})");

  struct Bad {
    std::vector<std::string> subnets, gateways, ranges, aux;
    std::string error;
  };
  const Bad bad[] = {
      {{"10.0.0.0/8", "10.1.0.0/16"}, {}, {}, {}, "multiple overlapping subnet configuration is not supported"},
      {{}, {"10.0.0.1"}, {}, {}, "every ip-range or gateway must have a corresponding subnet"},
      {{"10.0.0.0/8"}, {"11.0.0.1"}, {}, {}, "no matching subnet for gateway 11.0.0.1"},
      {{"10.0.0.0/8", "192.168.0.0/16"}, {}, {"10.1.0.0/16", "10.2.0.0/16"}, {},
       "cannot configure multiple ranges (10.2.0.0/16, 10.1.0.0/16) on the same subnet (10.0.0.0/8)"},
      {{"10.0.0.0/8"}, {}, {}, {"a=12.0.0.1"}, "no matching subnet for aux-address 12.0.0.1"},
      {{"10.0.0.0/8", "bad"}, {}, {}, {}, "invalid subnet: invalid CIDR address: bad"},
  };
  for (const auto& c : bad) {
    NetworkCreateOptions x;
    x.name = "n";
    x.subnets = c.subnets;
    x.gateways = c.gateways;
    x.ip_ranges = c.ranges;
    x.aux_addresses = c.aux;
    auto r = build_network_create(x);
    ASSERT_FALSE(r) << c.error;
    EXPECT_EQ(r.error().message, c.error);
  }
  NetworkCreateOptions lone;  // docker-cli checks a lone subnet only against others: the daemon refuses it
  lone.subnets = {"bad"};
  EXPECT_TRUE(build_network_create(lone));
}

TEST(NetworkConnect, BodyAsDockerCli28) {
  NetworkConnectOptions o;
  o.container = "ctr";
  o.ip = "10.1.2.4";
  o.aliases = {"a1", "a2"};
  auto body = build_network_connect(o);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->dump(),
            R"({"Container":"ctr","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.1.2.4"},"Links":null,)"
            R"("Aliases":["a1","a2"],"MacAddress":"","DriverOpts":{},"GwPriority":0,"NetworkID":"","EndpointID":"",)"
            R"("Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"",)"
            R"("GlobalIPv6PrefixLen":0,"DNSNames":null}})");
  NetworkConnectOptions o6;
  o6.container = "ctr";
  o6.ip6 = "fd00::5";
  o6.links = {"x:y"};
  o6.driver_opts = {"k=v"};
  body = build_network_connect(o6);
  ASSERT_TRUE(body);
  const Json& ep = (*body)["EndpointConfig"];
  EXPECT_EQ(ep["IPAMConfig"], Json::parse(R"({"IPv6Address":"fd00::5"})"));
  EXPECT_EQ(ep["Links"], Json::parse(R"(["x:y"])"));
  EXPECT_EQ(ep["Aliases"], Json::array());
  EXPECT_EQ(ep["DriverOpts"], Json::parse(R"({"k":"v"})"));
  o6.driver_opts = {"novalue"};
  EXPECT_FALSE(build_network_connect(o6));
}

TEST(VolumeCreate, BodyAsDockerCli28) {
  VolumeCreateOptions o;
  o.name = "v";
  o.labels = {"k=v", "bare"};
  o.opts = {"type=tmpfs", "device=tmpfs", "o=size=1m"};
  EXPECT_EQ(build_volume_create(o).dump(),
            R"({"Driver":"local","DriverOpts":{"device":"tmpfs","o":"size=1m","type":"tmpfs"},)"
            R"("Labels":{"bare":"","k":"v"},"Name":"v"})");
  EXPECT_EQ(build_volume_create(VolumeCreateOptions{}).dump(), R"({"Driver":"local"})");
}

TEST(NaturalSort, AsSortorder) {
  EXPECT_TRUE(natural_less("53/udp", "80/tcp"));
  EXPECT_TRUE(natural_less("80/tcp", "7000/tcp"));
  EXPECT_TRUE(natural_less("v2", "v10"));
  EXPECT_TRUE(natural_less("0123abc", "v1"));  // digits first
  EXPECT_FALSE(natural_less("b", "a"));
}

}  // namespace
}  // namespace berth::cli
