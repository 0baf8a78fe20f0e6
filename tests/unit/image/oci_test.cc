#include "image/oci.h"

#include <gtest/gtest.h>

#include "base/go_json.h"
#include "image/media_types.h"

using namespace berth;
using namespace berth::image;

namespace {

const std::string kDiffA = "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";  // sha256("a")
const std::string kDiffB = "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";  // sha256("b")
const std::string kDiffC = "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6";  // sha256("c")

// Written the way the classic Docker builder writes a config: top-level keys
// sorted, "config" in container.Config order with its always-present fields
// and nulls, Go's escaping of '&' '<' '>'.
const std::string kDockerConfig =
    R"({"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"app","AttachStdin":false,)"
    R"("AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Tty":false,)"
    R"("OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=\u003cb\u003e \u0026 \"q\""],)"
    R"("Cmd":["sh","-c","echo hi \u0026\u0026 sleep 1"],"Image":"sha256:)" + std::string(64, '1') +
    R"(","Volumes":{"/data":{}},"WorkingDir":"/srv","Entrypoint":null,"OnBuild":null,)"
    R"("Labels":{"maintainer":"me","org.example.v":"1"},"StopSignal":"SIGTERM"},)"
    R"("container":"3f1e2d","container_config":{"Hostname":"3f1e2d","Cmd":["/bin/sh","-c","#(nop) ","CMD [\"sh\"]"]},)"
    R"("created":"2024-03-01T12:00:00.123456789Z","docker_version":"24.0.7",)"
    R"("history":[{"created":"2024-03-01T11:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in / "},)"
    R"({"created":"2024-03-01T12:00:00.123456789Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true},)"
    R"({"created":"2024-03-01T12:00:01Z","author":"me","created_by":"RUN x","comment":"buildkit.dockerfile.v0"}],)"
    R"("os":"linux","rootfs":{"type":"layers","diff_ids":[")" + kDiffA + R"(",")" + kDiffB + R"("]}})";

TEST(Oci, DockerConfigRoundTripsByteForByte) {
  auto c = parse_image_config(kDockerConfig);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->created, "2024-03-01T12:00:00.123456789Z");
  ASSERT_TRUE(c->config);
  EXPECT_EQ(c->config->user, "app");
  EXPECT_EQ(c->config->env->at(1), "A=<b> & \"q\"");
  EXPECT_EQ(c->config->cmd->at(2), "echo hi && sleep 1");
  EXPECT_FALSE(c->config->entrypoint);  // null
  EXPECT_EQ(c->config->exposed_ports, (std::set<std::string>{"443/tcp", "80/tcp"}));
  EXPECT_EQ(c->config->volumes, (std::set<std::string>{"/data"}));
  EXPECT_EQ(c->config->working_dir, "/srv");
  EXPECT_EQ(c->config->labels->at("maintainer"), "me");
  EXPECT_EQ(c->config->stop_signal, "SIGTERM");
  ASSERT_TRUE(c->rootfs);
  ASSERT_EQ(c->rootfs->diff_ids.size(), 2u);
  EXPECT_EQ(c->rootfs->diff_ids[1].str(), kDiffB);
  ASSERT_EQ(c->history.size(), 3u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_EQ(c->history[2].comment, "buildkit.dockerfile.v0");
  EXPECT_EQ(serialize(*c), kDockerConfig);
}

TEST(Oci, ImageIdIsDigestOfStoredBytes) {
  auto c = parse_image_config(kDockerConfig);
  ASSERT_TRUE(c);
  EXPECT_EQ(image_id(kDockerConfig), content::sha256(kDockerConfig));
  EXPECT_EQ(image_id(serialize(*c)), image_id(kDockerConfig));  // stable through a round trip
  // Same content, different bytes (spaces): a different ID, as in Docker.
  auto spaced = parse_image_config(R"({ "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"} })");
  ASSERT_TRUE(spaced) << spaced.error().str();
  EXPECT_EQ(serialize(*spaced), R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})");
  EXPECT_NE(image_id(R"({ "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"} })"),
            image_id(serialize(*spaced)));
}

TEST(Oci, BuiltConfigSerializesInDockerOrder) {
  ImageConfig c;
  c.architecture = "arm64";
  c.variant = "v8";
  c.os = "linux";
  c.created = "2024-01-01T00:00:00Z";
  c.config = ContainerConfig{};
  c.config->env = std::vector<std::string>{"A=1"};
  c.config->cmd = std::vector<std::string>{"sh"};
  c.config->labels = std::map<std::string, std::string>{{"z", "1"}, {"a", "2"}};
  c.config->working_dir = "/";
  c.rootfs = RootFs{};
  c.rootfs->diff_ids.push_back(*Digest::parse(kDiffA));
  c.history.push_back({"2024-01-01T00:00:00Z", "", "COPY x /", "", false});
  const std::string want =
      R"({"architecture":"arm64","config":{"Env":["A=1"],"Cmd":["sh"],"WorkingDir":"/","Labels":{"a":"2","z":"1"}},)"
      R"("created":"2024-01-01T00:00:00Z","history":[{"created":"2024-01-01T00:00:00Z","created_by":"COPY x /"}],)"
      R"("os":"linux","rootfs":{"type":"layers","diff_ids":[")" + kDiffA + R"("]},"variant":"v8"})";
  EXPECT_EQ(serialize(c), want);
  auto back = parse_image_config(want);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(*back, c);
}

TEST(Oci, GoEscaping) {
  nlohmann::ordered_json j = std::string("<a>&\x01\n\t\\\"\xe2\x80\xa8\xc3\xa9");
  EXPECT_EQ(go::marshal(j), R"("\u003ca\u003e\u0026\u0001\n\t\\\"\u2028é")");
}

TEST(Oci, ChainIdsAgainstKnownValues) {
  std::vector<Digest> diffs = {*Digest::parse(kDiffA), *Digest::parse(kDiffB), *Digest::parse(kDiffC)};
  auto chains = chain_ids(diffs);
  ASSERT_EQ(chains.size(), 3u);
  EXPECT_EQ(chains[0].str(), kDiffA);  // chainID(L0) = diffID(L0)
  // sha256("sha256:ca97... sha256:3e23...") and onward, computed independently.
  EXPECT_EQ(chains[1].str(), "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
  EXPECT_EQ(chains[2].str(), "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106");
  EXPECT_EQ(chain_id(diffs), chains[2]);
  EXPECT_TRUE(chain_ids({}).empty());
}

const std::string kDigest1 = "sha256:" + std::string(64, 'a');
const std::string kDigest2 = "sha256:" + std::string(64, 'b');

TEST(Oci, DockerManifestRoundTrip) {
  const std::string m =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kDigest1 +
      R"(","size":1469},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip",)"
      R"("digest":")" + kDigest2 + R"(","size":2591575}]})";
  auto p = parse_manifest(m);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_TRUE(media::is_config(p->config.media_type));
  ASSERT_EQ(p->layers.size(), 1u);
  EXPECT_EQ(p->layers[0].size, 2591575);
  EXPECT_EQ(media::layer_compression(p->layers[0].media_type), media::Compression::Gzip);
  EXPECT_EQ(serialize(*p), m);
}

TEST(Oci, OciManifestWithAnnotationsRoundTrip) {
  const std::string m =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + kDigest1 +
      R"(","size":10},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" +
      kDigest2 + R"(","size":20,"annotations":{"a":"1","b":"2"}}],"annotations":{"org.opencontainers.image.created":"x"}})";
  auto p = parse_manifest(m);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->layers[0].annotations.at("b"), "2");
  EXPECT_EQ(media::layer_compression(p->layers[0].media_type), media::Compression::Zstd);
  EXPECT_EQ(serialize(*p), m);
}

TEST(Oci, IndexRoundTrip) {
  const std::string x =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigest1 +
      R"(","size":500,"platform":{"architecture":"arm","os":"linux","variant":"v7"}},)"
      R"({"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" + kDigest2 +
      R"(","size":501,"platform":{"architecture":"amd64","os":"linux"}}]})";
  auto p = parse_index(x);
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_EQ(p->manifests.size(), 2u);
  EXPECT_EQ(p->manifests[0].platform->variant, "v7");
  EXPECT_EQ(serialize(*p), x);
  auto list = parse_index(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]})");
  ASSERT_TRUE(list) << list.error().str();
}

TEST(Oci, ErrorsNameTheJsonPath) {
  struct Case {
    std::string json;
    const char* path;
  };
  const Case configs[] = {
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:00"]}})",
       "rootfs.diff_ids[0]"},
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"},"config":{"Env":["A",1]}})",
       "config.Env[1]"},
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"},"config":{"Labels":{"a":2}}})",
       "config.Labels.a"},
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"},"history":[{},{"empty_layer":"yes"}]})",
       "history[1].empty_layer"},
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"tar"}})", "rootfs.type"},
      {R"({"os":"linux","rootfs":{"type":"layers"}})", "architecture"},
      {R"({"architecture":"amd64","os":"linux"})", "rootfs"},
      {R"([1])", "(document)"},
      {R"({"architecture":)", "not JSON"},
  };
  for (const auto& c : configs) {
    auto r = parse_image_config(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find(c.path), std::string::npos) << r.error().message;
  }
  const Case manifests[] = {
      {R"({"schemaVersion":1,"config":{}})", "schemaVersion"},
      {R"({"schemaVersion":2,"mediaType":"text/plain","config":{}})", "mediaType"},
      {R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kDigest1 + R"("}})", "config.size"},
      {R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kDigest1 +
           R"(","size":1},"layers":[{"mediaType":"x","digest":"md5:1","size":1}]})",
       "layers[0].digest"},
      {R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kDigest1 + R"(","size":-1}})", "config.size"},
  };
  for (const auto& c : manifests) {
    auto r = parse_manifest(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_NE(r.error().message.find(c.path), std::string::npos) << r.error().message;
  }
}

}  // namespace
