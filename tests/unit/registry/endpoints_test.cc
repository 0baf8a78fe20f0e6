// endpoints_for: the order a registry's endpoints are tried in, from
// registry-mirrors, hosts.toml directories (containerd's layout) and Docker's
// own rules, with each endpoint's capabilities, ns query, TLS and API root.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "registry/client.h"

using namespace berth;
using namespace berth::registry;
namespace fs = std::filesystem;

namespace {

class Endpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-endpoints-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    policy_.certs_dirs = {tmp_ + "/certs.d"};
    policy_.hosts_dirs = {tmp_ + "/config", tmp_ + "/certs.d"};
  }
  void TearDown() override { fs::remove_all(tmp_); }

  void write(const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(tmp_ + "/" + rel).parent_path());
    std::ofstream(tmp_ + "/" + rel) << text;
  }
  std::vector<Endpoint> endpoints(const std::string& domain) {
    auto r = endpoints_for(domain, policy_);
    EXPECT_TRUE(r) << r.error().str();
    return r ? *r : std::vector<Endpoint>{};
  }
  static std::vector<std::string> urls(const std::vector<Endpoint>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(e.url("/a/b/manifests/t"));
    return out;
  }

  std::string tmp_;
  EndpointPolicy policy_;
};

TEST_F(Endpoints, DockerHubAloneIsRegistry1) {
  auto es = endpoints("docker.io");
  EXPECT_EQ(urls(es), std::vector<std::string>{"https://registry-1.docker.io/v2/a/b/manifests/t"});
  EXPECT_TRUE(es[0].upstream);
  EXPECT_EQ(es[0].capabilities, kCapAll);
  EXPECT_TRUE(es[0].tls.verify);
}

TEST_F(Endpoints, RegistryMirrorsComeBeforeDockerHubAndOnlyForIt) {
  policy_.mirrors = {"https://mirror.example/", "http://127.0.0.1:5000/"};
  auto es = endpoints("docker.io");
  EXPECT_EQ(urls(es), (std::vector<std::string>{"https://mirror.example/v2/a/b/manifests/t?ns=docker.io",
                                                "http://127.0.0.1:5000/v2/a/b/manifests/t?ns=docker.io",
                                                "https://registry-1.docker.io/v2/a/b/manifests/t"}));
  EXPECT_EQ(es[0].capabilities, kCapPull | kCapResolve);
  EXPECT_FALSE(es[0].upstream);
  EXPECT_TRUE(es[2].upstream);
  EXPECT_EQ(urls(endpoints("quay.io")), std::vector<std::string>{"https://quay.io/v2/a/b/manifests/t"});
}

TEST_F(Endpoints, AnInsecureMirrorIsNotVerified) {
  policy_.mirrors = {"https://10.1.2.3:5000/"};
  policy_.insecure_registries = {"10.0.0.0/8"};
  auto es = endpoints("docker.io");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_FALSE(es[0].tls.verify);
  EXPECT_TRUE(es[1].tls.verify);
}

TEST_F(Endpoints, HostsTomlMirrorsThenTheRegistry) {
  write("config/registry.k8s.io/hosts.toml", R"(
[host."http://127.0.0.1:5000"]
  capabilities = ["pull", "resolve"]
[host."https://cache.example/k8s"]
  capabilities = ["pull"]
  skip_verify = true
)");
  auto es = endpoints("registry.k8s.io");
  EXPECT_EQ(urls(es), (std::vector<std::string>{"http://127.0.0.1:5000/v2/a/b/manifests/t?ns=registry.k8s.io",
                                                "https://cache.example/k8s/v2/a/b/manifests/t?ns=registry.k8s.io",
                                                "https://registry.k8s.io/v2/a/b/manifests/t"}));
  EXPECT_EQ(es[0].capabilities, kCapPull | kCapResolve);
  EXPECT_EQ(es[1].capabilities, kCapPull);
  EXPECT_FALSE(es[1].tls.verify);
  EXPECT_EQ(es[2].capabilities, kCapAll);
  EXPECT_TRUE(es[2].tls.verify);
  EXPECT_TRUE(es[2].upstream);
  EXPECT_FALSE(es[0].upstream);
}

TEST_F(Endpoints, ServerReplacesTheRegistryAndGetsNsWhenElsewhere) {
  write("config/gcr.io/hosts.toml", "server = \"https://gcr-cache.internal:8443/gcr\"\ncapabilities = [\"pull\", \"resolve\"]\n");
  auto es = endpoints("gcr.io");
  EXPECT_EQ(urls(es), std::vector<std::string>{"https://gcr-cache.internal:8443/gcr/v2/a/b/manifests/t?ns=gcr.io"});
  EXPECT_EQ(es[0].capabilities, kCapPull | kCapResolve);
  EXPECT_TRUE(es[0].upstream);
}

TEST_F(Endpoints, DockerHubsOwnServerHasNoNs) {
  write("config/docker.io/hosts.toml", "server = \"https://registry-1.docker.io\"\n[host.\"https://m.example\"]\n");
  policy_.mirrors = {"https://first.example/"};
  EXPECT_EQ(urls(endpoints("docker.io")), (std::vector<std::string>{"https://first.example/v2/a/b/manifests/t?ns=docker.io",
                                                                    "https://m.example/v2/a/b/manifests/t?ns=docker.io",
                                                                    "https://registry-1.docker.io/v2/a/b/manifests/t"}));
}

TEST_F(Endpoints, ALoopbackRegistryKeepsDockersHttpsThenHttpAfterItsMirrors) {
  write("config/127.0.0.1:5000/hosts.toml", "[host.\"http://127.0.0.1:6000\"]\n");
  auto es = endpoints("127.0.0.1:5000");
  EXPECT_EQ(urls(es), (std::vector<std::string>{"http://127.0.0.1:6000/v2/a/b/manifests/t?ns=127.0.0.1%3A5000",
                                                "https://127.0.0.1:5000/v2/a/b/manifests/t",
                                                "http://127.0.0.1:5000/v2/a/b/manifests/t"}));
  EXPECT_FALSE(es[1].tls.verify);
}

TEST_F(Endpoints, ContainerdsPortSpellingIsFoundFirst) {
  write("config/reg.example_5000_/hosts.toml", "server = \"https://a.example\"\n");
  write("config/reg.example:5000/hosts.toml", "server = \"https://b.example\"\n");
  EXPECT_EQ(endpoints("reg.example:5000").at(0).host, "a.example");
}

TEST_F(Endpoints, TheGivenDirectoryBeforeCertsD) {
  write("certs.d/quay.io/hosts.toml", "server = \"https://from-certs-d.example\"\n");
  EXPECT_EQ(endpoints("quay.io").at(0).host, "from-certs-d.example");
  write("config/quay.io/hosts.toml", "server = \"https://from-config.example\"\n");
  EXPECT_EQ(endpoints("quay.io").at(0).host, "from-config.example");
}

TEST_F(Endpoints, DefaultAppliesWhereNoHostDirectoryIs) {
  write("certs.d/_default/hosts.toml", "[host.\"https://everything.example\"]\ncapabilities = [\"pull\"]\n");
  EXPECT_EQ(urls(endpoints("ghcr.io")), (std::vector<std::string>{"https://everything.example/v2/a/b/manifests/t?ns=ghcr.io",
                                                                  "https://ghcr.io/v2/a/b/manifests/t"}));
  // A host directory with certificates only is that host's: no _default for it (containerd's rule).
  write("certs.d/quay.io/ca.crt", "not used here");
  EXPECT_EQ(urls(endpoints("quay.io")), std::vector<std::string>{"https://quay.io/v2/a/b/manifests/t"});
}

TEST_F(Endpoints, TlsFilesFromTheFileOrFromCertsD) {
  write("certs.d/mirror.example/ca.crt", "");
  write("certs.d/mirror.example/extra.crt", "");
  write("certs.d/mirror.example/client.cert", "");
  write("certs.d/mirror.example/client.key", "");
  write("config/quay.io/hosts.toml", R"(
[host."https://mirror.example"]
[host."https://other.example"]
  ca = "other-ca.pem"
  client = [["c.pem", "k.pem"]]
[host."https://pem.example"]
  client = "both.pem"
)");
  auto es = endpoints("quay.io");
  ASSERT_EQ(es.size(), 4u);
  EXPECT_EQ(es[0].tls.ca_files, (std::vector<std::string>{tmp_ + "/certs.d/mirror.example/ca.crt",
                                                          tmp_ + "/certs.d/mirror.example/extra.crt"}));
  EXPECT_EQ(es[0].tls.client_cert, tmp_ + "/certs.d/mirror.example/client.cert");
  EXPECT_EQ(es[0].tls.client_key, tmp_ + "/certs.d/mirror.example/client.key");
  EXPECT_EQ(es[1].tls.ca_files, std::vector<std::string>{tmp_ + "/config/quay.io/other-ca.pem"});
  EXPECT_EQ(es[1].tls.client_cert, tmp_ + "/config/quay.io/c.pem");
  EXPECT_EQ(es[1].tls.client_key, tmp_ + "/config/quay.io/k.pem");
  EXPECT_EQ(es[2].tls.client_key, tmp_ + "/config/quay.io/both.pem") << "a key in the certificate's file";
}

TEST_F(Endpoints, RootSettingsApplyToTheDefaultServer) {
  write("config/quay.io/hosts.toml", "skip_verify = true\ndial_timeout = \"2s\"\n[header]\nx-site = \"a\"\n");
  auto es = endpoints("quay.io");
  ASSERT_EQ(es.size(), 1u);
  EXPECT_FALSE(es[0].tls.verify);
  EXPECT_EQ(es[0].connect_timeout_ms, 2000);
  EXPECT_EQ(es[0].headers, std::vector<std::string>{"x-site: a"});
}

TEST_F(Endpoints, ABadFileIsAnErrorNamingIt) {
  write("config/quay.io/hosts.toml", "[host.\"https://m\"]\ncapabilities = [\"fly\"]\n");
  auto r = endpoints_for("quay.io", policy_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find(tmp_ + "/config/quay.io/hosts.toml line 2: unknown capability"), std::string::npos)
      << r.error().message;
}

TEST(EndpointUrl, NsJoinsAQueryAlreadyThere) {
  Endpoint e;
  e.scheme = "https";
  e.host = "m";
  e.ns = "docker.io";
  EXPECT_EQ(e.url("/x/blobs/uploads/?mount=sha256%3Aa&from=y"), "https://m/v2/x/blobs/uploads/?mount=sha256%3Aa&from=y&ns=docker.io");
  e.ns.clear();
  e.path = "";
  EXPECT_EQ(e.url("/x/manifests/t"), "https://m/x/manifests/t");
}

}  // namespace
