// POST /build and /build/prune: the legacy builder's parameters as the
// docker CLI and SDK send them, into backend::BuildRequest.
#include <gtest/gtest.h>

#include "base/base64.h"
#include "route_harness.h"
#include "server/routes/routes.h"

namespace berth::server::testing {
namespace {

class FakeBuild : public backend::BuildBackend {
 public:
  Result<std::string> build(const backend::BuildRequest& r, const std::function<Result<size_t>(char*, size_t)>& body,
                            const Progress& progress) override {
    request = r;
    char buf[64];
    for (size_t n; (n = TRY(body(buf, sizeof buf))) > 0;) context.append(buf, n);
    if (!refuse.empty()) return fail(Errc::InvalidArgument, refuse);
    progress("{\"stream\":\"Step 1/1 : FROM x\\n\"}\r\n");
    return std::string("sha256:") + std::string(64, 'a');
  }
  Result<backend::BuildPruneReport> prune(const std::string& filters, bool all) override {
    pruned_filters = filters;
    pruned_all = all;
    return backend::BuildPruneReport{{"k1", "k2"}, 4096};
  }
  Result<std::vector<backend::BuildCacheUsage>> usage() override { return std::vector<backend::BuildCacheUsage>{}; }
  backend::BuildRequest request;
  std::string context, refuse, pruned_filters;
  bool pruned_all = false;
};

TEST(BuildRoutes, EveryLegacyParameterReachesTheRequest) {
  Router router;
  FakeBuild b;
  add_build_routes(router, b);
  auto a = call(router, "POST",
                "/build?dockerfile=sub%2FDockerfile.dev&t=app%3A1&t=app%3Alatest&target=rel&platform=linux%2Famd64"
                "&nocache=1&rm=0&forcerm=1&pull=1&q=1&networkmode=host&shmsize=1048576&memory=2000000&memswap=-1"
                "&cpushares=512&cpuperiod=100000&cpuquota=50000&cpusetcpus=0-1&cpusetmems=0&cgroupparent=grp"
                "&extrahosts=a%3A1.2.3.4%2Cb%3A5.6.7.8&buildargs=%7B%22A%22%3A%221%22%2C%22B%22%3Anull%7D"
                "&labels=%7B%22l%22%3A%22v%22%7D&version=1",
                "TARBYTES");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "{\"stream\":\"Step 1/1 : FROM x\\n\"}\r\n");
  const auto& r = b.request;
  EXPECT_EQ(r.dockerfile, "sub/Dockerfile.dev");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"app:1", "app:latest"}));
  EXPECT_EQ(r.target, "rel");
  EXPECT_EQ(r.platform, "linux/amd64");
  EXPECT_TRUE(r.no_cache && !r.rm && r.force_rm && r.pull && r.quiet);
  EXPECT_EQ(r.network_mode, "host");
  EXPECT_EQ(r.shm_size, 1048576);
  EXPECT_EQ(r.resources.memory, 2000000);
  EXPECT_EQ(r.resources.memory_swap, -1);
  EXPECT_EQ(r.resources.cpu_shares, 512);
  EXPECT_EQ(r.resources.cpu_quota, 50000);
  EXPECT_EQ(r.resources.cpuset_cpus, "0-1");
  EXPECT_EQ(r.resources.cgroup_parent, "grp");
  EXPECT_EQ(r.extra_hosts, (std::vector<std::string>{"a:1.2.3.4", "b:5.6.7.8"}));
  EXPECT_EQ(r.build_args.at("A"), std::optional<std::string>("1"));
  EXPECT_EQ(r.build_args.at("B"), std::nullopt);  // the client had no value
  EXPECT_EQ(r.labels.at("l"), "v");
  EXPECT_EQ(b.context, "TARBYTES");
  EXPECT_FALSE(r.native);
}

TEST(BuildRoutes, RegistryConfigBecomesOneAuthPerRegistry) {
  Router router;
  FakeBuild b;
  add_build_routes(router, b);
  std::string config = R"({"127.0.0.1:5000":{"username":"u","password":"p"}})";
  auto a = call(router, "POST", "/build", "", {{"x-registry-config", base64::encode_url(config)}});
  EXPECT_EQ(a.status, 200);
  ASSERT_EQ(b.request.registry_auth.size(), 1u);
  const auto& auth = b.request.registry_auth.at("127.0.0.1:5000");
  auto decoded = base64::decode(auth.header);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(nlohmann::json::parse(*decoded)["username"], "u");
  auto bad = call(router, "POST", "/build", "", {{"x-registry-config", "%%%"}});
  EXPECT_EQ(bad.status, 400);
}

TEST(BuildRoutes, BadParametersAreRefusedBeforeTheBuild) {
  Router router;
  FakeBuild b;
  add_build_routes(router, b);
  EXPECT_EQ(call(router, "POST", "/build?buildargs=%5B1%5D").status, 400);
  EXPECT_EQ(call(router, "POST", "/build?memory=lots").message(), "memory: not a number: lots");
  auto kit = call(router, "POST", "/build?version=2");
  EXPECT_EQ(kit.status, 400);
  EXPECT_NE(kit.message().find("BuildKit"), std::string::npos);
  b.refuse = "Cannot locate specified Dockerfile: nope";
  auto missing = call(router, "POST", "/build?dockerfile=nope");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.message(), "Cannot locate specified Dockerfile: nope");
}

TEST(BuildRoutes, PruneAnswersAsDockerd) {
  Router router;
  FakeBuild b;
  add_build_routes(router, b);
  auto a = call(router, "POST", "/build/prune?all=1&filters=%7B%22until%22%3A%5B%2224h%22%5D%7D");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.json()["CachesDeleted"], nlohmann::json({"k1", "k2"}));
  EXPECT_EQ(a.json()["SpaceReclaimed"], 4096);
  EXPECT_TRUE(b.pruned_all);
  EXPECT_EQ(b.pruned_filters, R"({"until":["24h"]})");
}

}  // namespace
}  // namespace berth::server::testing
