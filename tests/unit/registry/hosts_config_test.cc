// hosts.toml as containerd documents it (docs/hosts.md): hosts in file order,
// server last, capabilities, TLS settings with paths relative to the file,
// /v2 and override_path; and Docker's registry-mirrors entries.
#include "registry/hosts_config.h"

#include <gtest/gtest.h>

using namespace berth;
using namespace berth::registry;

namespace {

const std::string kDir = "/etc/berth/certs.d/docker.io";

HostsFile parse_ok(std::string_view text) {
  auto r = parse_hosts_toml(text, kDir);
  EXPECT_TRUE(r) << r.error().str();
  return r ? *r : HostsFile{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_hosts_toml(text, kDir);
  EXPECT_FALSE(r) << "parsed: " << text;
  return r ? "" : r.error().message;
}

TEST(HostsToml, LocalMirrorForDockerHubFromContainerdsDocs) {
  auto f = parse_ok(R"(
server = "https://registry-1.docker.io"    # Exclude this to not use upstream

[host."https://public-mirror.example.com"]
  capabilities = ["pull"]
[host."https://docker-mirror.internal"]
  capabilities = ["pull", "resolve"]
  ca = "docker-mirror.crt"
)");
  ASSERT_EQ(f.hosts.size(), 2u);
  EXPECT_EQ(f.hosts[0].scheme, "https");
  EXPECT_EQ(f.hosts[0].host, "public-mirror.example.com");
  EXPECT_EQ(f.hosts[0].path, "/v2");
  EXPECT_EQ(f.hosts[0].capabilities, kCapPull);
  EXPECT_TRUE(f.hosts[0].ca_files.empty());
  EXPECT_EQ(f.hosts[1].host, "docker-mirror.internal");
  EXPECT_EQ(f.hosts[1].capabilities, kCapPull | kCapResolve);
  EXPECT_EQ(f.hosts[1].ca_files, std::vector<std::string>{kDir + "/docker-mirror.crt"});
  EXPECT_EQ(f.server.scheme, "https");
  EXPECT_EQ(f.server.host, "registry-1.docker.io");
  EXPECT_EQ(f.server.path, "/v2");
  EXPECT_EQ(f.server.capabilities, kCapAll);
}

TEST(HostsToml, HostsKeepTheFilesOrderNotTheAlphabets) {
  auto f = parse_ok(R"(
[host."https://zeta.example"]
[host."https://alpha.example"]
[host."http://mid.example:5000"]
)");
  ASSERT_EQ(f.hosts.size(), 3u);
  EXPECT_EQ(f.hosts[0].host, "zeta.example");
  EXPECT_EQ(f.hosts[1].host, "alpha.example");
  EXPECT_EQ(f.hosts[2].host, "mid.example:5000");
  EXPECT_EQ(f.hosts[2].scheme, "http");
  for (const auto& h : f.hosts) EXPECT_EQ(h.capabilities, kCapAll) << "capabilities default to all";
  EXPECT_TRUE(f.server.host.empty()) << "no server: the registry's own endpoints";
}

TEST(HostsToml, NoServerMeansTheDefaultUpstreamWithEveryCapability) {
  auto f = parse_ok(R"(
capabilities = ["pull"]
skip_verify = true
ca = ["a.pem", "/abs/b.pem"]
[host."https://mirror.example"]
)");
  EXPECT_TRUE(f.server.host.empty());
  EXPECT_EQ(f.server.capabilities, kCapAll);
  EXPECT_EQ(f.server.skip_verify, std::optional<bool>(true));
  EXPECT_EQ(f.server.ca_files, (std::vector<std::string>{kDir + "/a.pem", "/abs/b.pem"}));
}

TEST(HostsToml, ServerWithoutSchemeIsHttps) {
  auto f = parse_ok(R"(server = "mirror.example:5000")");
  EXPECT_EQ(f.server.scheme, "https");
  EXPECT_EQ(f.server.host, "mirror.example:5000");
  EXPECT_EQ(f.server.path, "/v2");
}

TEST(HostsToml, PathsGetV2UnlessTheyEndInItOrOverridePath) {
  auto f = parse_ok(R"(
[host."https://mirror-bak.registry/us"]
[host."https://m.example/cache/v2"]
[host."https://m.example/a//b/../c/"]
[host."https://non-compliant-mirror.registry/v2/upstream"]
  override_path = true
[host."https://m.example/"]
)");
  ASSERT_EQ(f.hosts.size(), 5u);
  EXPECT_EQ(f.hosts[0].path, "/us/v2");
  EXPECT_EQ(f.hosts[1].path, "/cache/v2");
  EXPECT_EQ(f.hosts[2].path, "/a/c/v2");
  EXPECT_EQ(f.hosts[3].path, "/v2/upstream");
  EXPECT_EQ(f.hosts[4].path, "/v2");
}

TEST(HostsToml, ClientCertificatesInEveryForm) {
  auto f = parse_ok(R"(
[host."https://test-1.registry"]
  client = [["/etc/certs/client.cert", "/etc/certs/client.key"],["client.pem", ""]]
[host."https://test-2.registry"]
  client = "/etc/certs/client.pem"
[host."https://test-3.registry"]
  client = ["client-1.pem", "/etc/certs/client-2.pem"]
)");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  ASSERT_EQ(f.hosts.size(), 3u);
  EXPECT_EQ(f.hosts[0].client_pairs, (Pairs{{"/etc/certs/client.cert", "/etc/certs/client.key"}, {kDir + "/client.pem", ""}}));
  EXPECT_EQ(f.hosts[1].client_pairs, (Pairs{{"/etc/certs/client.pem", ""}}));
  EXPECT_EQ(f.hosts[2].client_pairs, (Pairs{{kDir + "/client-1.pem", ""}, {"/etc/certs/client-2.pem", ""}}));
}

TEST(HostsToml, HeadersSkipVerifyAndDialTimeout) {
  auto f = parse_ok(R"(
[host."https://mirror.registry"]
  skip_verify = false
  dial_timeout = "1m500ms"
  [host."https://mirror.registry".header]
    x-custom-2 = ["value1", "value2"]
    X-One = "v"
)");
  ASSERT_EQ(f.hosts.size(), 1u);
  EXPECT_EQ(f.hosts[0].skip_verify, std::optional<bool>(false));
  EXPECT_EQ(f.hosts[0].dial_timeout_ms, 60500);
  std::vector<std::string> headers = f.hosts[0].headers;
  std::sort(headers.begin(), headers.end());
  EXPECT_EQ(headers, (std::vector<std::string>{"X-One: v", "x-custom-2: value1", "x-custom-2: value2"}));
}

TEST(HostsToml, CapabilitiesAreCheckedAndAnEmptyListIsAll) {
  EXPECT_EQ(parse_ok("[host.\"https://m\"]\ncapabilities = []\n").hosts.at(0).capabilities, kCapAll);
  EXPECT_EQ(parse_ok("[host.\"https://m\"]\ncapabilities = [\"PUSH\"]\n").hosts.at(0).capabilities, kCapPush);
  EXPECT_EQ(parse_error("[host.\"https://m\"]\ncapabilities = [\"pull\", \"mirror\"]\n"),
            kDir + "/hosts.toml line 2: unknown capability \"mirror\" (pull, resolve, push)");
  EXPECT_NE(parse_error("[host.\"https://m\"]\ncapabilities = \"pull\"\n").find("must be a list"), std::string::npos);
}

TEST(HostsToml, ErrorsNameTheFileAndLineInBerthsWords) {
  EXPECT_EQ(parse_error("server = \n"), kDir + "/hosts.toml line 1, column 10: not valid TOML");
  EXPECT_EQ(parse_error("[host.\"ftp://m\"]\n"),
            kDir + "/hosts.toml line 1: host \"ftp://m\" has the scheme \"ftp\": only http and https");
  EXPECT_NE(parse_error("server = \"https://u:p@m\"\n").find("credentials"), std::string::npos);
  EXPECT_NE(parse_error("server = \"https://m/?x=1\"\n").find("query"), std::string::npos);
  EXPECT_NE(parse_error("server = \"https://m:99999\"\n").find("does not name a host"), std::string::npos);
  EXPECT_NE(parse_error("server = \"https:///v2\"\n").find("does not name a host"), std::string::npos);
  EXPECT_NE(parse_error("server = 5\n").find("server must be a URL string"), std::string::npos);
  EXPECT_NE(parse_error("host = 1\n").find("host must be tables"), std::string::npos);
  EXPECT_NE(parse_error("[host]\n\"https://m\" = 1\n").find("must be a table of settings"), std::string::npos);
  EXPECT_NE(parse_error("skip_verify = \"yes\"\n").find("skip_verify must be true or false"), std::string::npos);
  EXPECT_NE(parse_error("ca = 3\n").find("ca must be a file path"), std::string::npos);
  EXPECT_NE(parse_error("client = [[\"a\"]]\n").find("must have 2 paths"), std::string::npos);
  EXPECT_NE(parse_error("[header]\n\"bad name\" = \"x\"\n").find("is not a header name"), std::string::npos);
  EXPECT_NE(parse_error("[header]\nx = \"a\\nb\"\n").find("control character"), std::string::npos);
  EXPECT_NE(parse_error("dial_timeout = \"soon\"\n").find("not a duration"), std::string::npos);
  EXPECT_NE(parse_error("[host.\"https://m\"]\nproxy = \"http://p:8080\"\n").find("proxy is not supported"), std::string::npos);
}

TEST(HostsToml, UnknownKeysAreIgnoredAsContainerdDoes) {
  auto f = parse_ok("future_setting = 1\n[host.\"https://m\"]\nanother = \"x\"\n");
  EXPECT_EQ(f.hosts.size(), 1u);
}

TEST(RegistryMirrors, DockersFormAndWords) {
  EXPECT_EQ(normalize_mirror("https://mirror.gcr.io").value_or("?"), "https://mirror.gcr.io/");
  EXPECT_EQ(normalize_mirror("http://127.0.0.1:5000/").value_or("?"), "http://127.0.0.1:5000/");
  EXPECT_EQ(normalize_mirror("https://m.example/hub").value_or("?"), "https://m.example/hub/");
  auto bad = normalize_mirror("mirror.example");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid mirror: unsupported scheme \"\" in \"mirror.example\"");
  EXPECT_EQ(normalize_mirror("ftp://m").error().message, "invalid mirror: unsupported scheme \"ftp\" in \"ftp://m\"");
  EXPECT_EQ(normalize_mirror("https://m/?a=b").error().message, "invalid mirror: query or fragment at end of the URI \"https://m/?a=b\"");
  EXPECT_EQ(normalize_mirror("https://u:p@m").error().message,
            "invalid mirror: username/password not allowed in URI \"https://u:p@m\"");
}

TEST(RegistryMirrors, AMirrorMayPullAndResolveNotPush) {
  auto h = mirror_host("http://127.0.0.1:5000/hub");
  ASSERT_TRUE(h) << h.error().str();
  EXPECT_EQ(h->scheme, "http");
  EXPECT_EQ(h->host, "127.0.0.1:5000");
  EXPECT_EQ(h->path, "/hub/v2");
  EXPECT_EQ(h->capabilities, kCapPull | kCapResolve);
}

TEST(HostDirNames, PortGivesContainerdsTwoSpellings) {
  EXPECT_EQ(host_dir_names("registry.k8s.io"), std::vector<std::string>{"registry.k8s.io"});
  EXPECT_EQ(host_dir_names("myregistry.io:5000"), (std::vector<std::string>{"myregistry.io_5000_", "myregistry.io:5000"}));
  EXPECT_EQ(host_dir_names("[::1]"), std::vector<std::string>{"[::1]"});
}

}  // namespace
